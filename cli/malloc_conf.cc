// jemalloc's options for the tidemark binary, read at the first allocation.
// MALLOC_CONF in the environment is read after these and overrides them (for
// example MALLOC_CONF=thp:default restores jemalloc's default).
//
// thp:always: jemalloc marks its memory for transparent huge pages (madvise), so
// the kernel backs it 2 MiB at a time. Capture allocates a protobuf message per
// change and per column, and the journal's cache and the sinks' batches keep
// ~200 MB of them alive while catching up: with 4 KiB pages each first touch is a
// page fault. In the PG→PG benchmark that was ~52,000 faults and a quarter of the
// capture thread's CPU on a VM; with huge pages ~4,600. On kernels whose THP mode is
// "never" this does nothing.
extern "C" {
// NOLINTNEXTLINE(readability-identifier-naming): the name jemalloc looks for.
extern const char* malloc_conf;
const char* malloc_conf = "thp:always";
}
