// jemalloc's options for the tidemark binary, read at the first allocation.
// MALLOC_CONF in the environment is read after these and overrides them (for
// example MALLOC_CONF=thp:always asks for transparent huge pages).
//
// thp:default (jemalloc's own default, spelled out): no huge pages. Until 2026-12-07
// this was thp:always, which cut page faults ~10x while a sink held a few hundred MB of
// entries. But jemalloc gives dirty pages back 4 KiB at a time as they decay, and a huge
// page that got a hole is faulted in again whole: in the MariaDB drain benchmark a tenth
// of tidemark's CPU went to the kernel zeroing fresh 2 MiB pages (clear_page_erms under
// do_huge_pmd_anonymous_page). Side by side without them: MariaDB drain 2.84-3.53 CPU-s
// against 3.24-3.95, PostgreSQL drain 2.35-2.37 against 2.59-2.64 (bench/README.md).
extern "C" {
// NOLINTNEXTLINE(readability-identifier-naming): the name jemalloc looks for.
extern const char* malloc_conf;
const char* malloc_conf = "thp:default";
}
