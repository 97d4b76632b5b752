/*
** In-module definitions of the WASI preview1 functions wasi-libc calls
** (lua-wasm-sys).
**
** wasi-libc reaches the system through functions named
** `__imported_wasi_snapshot_preview1_<name>`; left undefined they become imports of
** module `wasi_snapshot_preview1`, which wasm-bindgen turns into a
** `require("wasi_snapshot_preview1")` that breaks users and bundlers. Defining them
** here resolves them inside the module, so it imports nothing but wasm-bindgen's own
** functions.
**
** They live in C, not in Rust, on purpose: a Rust `#[no_mangle]` function in any
** crate of a cdylib is exported from the final .wasm (and then wrapped and kept alive),
** while these C definitions are hidden. Rust installs its hooks through
** lua_wasm_sys_set_hooks() (see src/lib.rs: set_clock, set_stdout).
**
** Signatures are those of wasi-libc's __wasilibc_real.c at the wasm level: pointers and
** sizes i32, 64-bit quantities i64, an errno as the i32 result. Every stub that does
** not need memory leaves it untouched, so any argument values are safe.
*/
#include <stddef.h>
#include <stdint.h>

#define HIDDEN __attribute__((visibility("hidden")))

#define WASI_ESUCCESS 0
#define WASI_EBADF 8
#define WASI_EINVAL 28
#define WASI_ENOSYS 52

typedef uint64_t (*lua_wasm_clock_fn)(uint32_t clock_id);
typedef void (*lua_wasm_write_fn)(uint32_t fd, const uint8_t *bytes, size_t len);

static lua_wasm_clock_fn clock_hook;
static lua_wasm_write_fn write_hook;

/* Called from Rust (src/lib.rs). NULL keeps the current hook. */
HIDDEN void lua_wasm_sys_set_hooks(lua_wasm_clock_fn clock, lua_wasm_write_fn write) {
  if (clock) clock_hook = clock;
  if (write) write_hook = write;
}

typedef struct {
  const uint8_t *buf;
  size_t buf_len;
} wasi_ciovec;

/* stdout (1) and stderr (2) go to the write hook (default: discarded, but reported
   as written so the C library does not retry or set an error). */
HIDDEN int32_t __imported_wasi_snapshot_preview1_fd_write(int32_t fd, int32_t iovs,
                                                          int32_t iovs_len,
                                                          int32_t nwritten) {
  const wasi_ciovec *iov = (const wasi_ciovec *)(uintptr_t)iovs;
  size_t total = 0;
  if (fd != 1 && fd != 2) return WASI_EBADF;
  if (iovs_len < 0 || (iov == NULL && iovs_len != 0)) return WASI_EINVAL;
  for (int32_t i = 0; i < iovs_len; i++) {
    if (iov[i].buf_len == 0 || iov[i].buf == NULL) continue;
    if (write_hook) write_hook((uint32_t)fd, iov[i].buf, iov[i].buf_len);
    total += iov[i].buf_len;
  }
  if (nwritten) *(size_t *)(uintptr_t)nwritten = total;
  return WASI_ESUCCESS;
}

/* time(), clock_gettime(), clock() (emulated process clock): nanoseconds from the
   clock hook (default: 0). Ids: 0 realtime, 1 monotonic, 2 process, 3 thread. */
HIDDEN int32_t __imported_wasi_snapshot_preview1_clock_time_get(int32_t id,
                                                                int64_t precision,
                                                                int32_t time) {
  (void)precision;
  if (id < 0 || id > 3 || time == 0) return WASI_EINVAL;
  *(uint64_t *)(uintptr_t)time = clock_hook ? clock_hook((uint32_t)id) : 0;
  return WASI_ESUCCESS;
}

HIDDEN int32_t __imported_wasi_snapshot_preview1_clock_res_get(int32_t id,
                                                               int32_t resolution) {
  if (id < 0 || id > 3 || resolution == 0) return WASI_EINVAL;
  *(uint64_t *)(uintptr_t)resolution = 1000; /* 1 microsecond */
  return WASI_ESUCCESS;
}

/* Empty environment and argument list: getenv() returns NULL. (An error here would
   make wasi-libc's lazy environment initialisation call _Exit.) */
static int32_t two_zero_sizes(int32_t count, int32_t buf_size) {
  if (count) *(size_t *)(uintptr_t)count = 0;
  if (buf_size) *(size_t *)(uintptr_t)buf_size = 0;
  return WASI_ESUCCESS;
}
HIDDEN int32_t __imported_wasi_snapshot_preview1_environ_sizes_get(int32_t count,
                                                                   int32_t buf_size) {
  return two_zero_sizes(count, buf_size);
}
HIDDEN int32_t __imported_wasi_snapshot_preview1_args_sizes_get(int32_t count,
                                                                int32_t buf_size) {
  return two_zero_sizes(count, buf_size);
}
HIDDEN int32_t __imported_wasi_snapshot_preview1_environ_get(int32_t environ,
                                                             int32_t buf) {
  (void)environ; (void)buf;
  return WASI_ESUCCESS;
}
HIDDEN int32_t __imported_wasi_snapshot_preview1_args_get(int32_t argv, int32_t buf) {
  (void)argv; (void)buf;
  return WASI_ESUCCESS;
}

/* "No such descriptor": the end of the preopened-directory list (there is none). */
HIDDEN int32_t __imported_wasi_snapshot_preview1_fd_prestat_get(int32_t fd,
                                                                int32_t prestat) {
  (void)fd; (void)prestat;
  return WASI_EBADF;
}

/* exit()/_Exit() end here (only os.exit reaches it; see src/lib.rs): trap. */
HIDDEN _Noreturn void __imported_wasi_snapshot_preview1_proc_exit(int32_t code) {
  (void)code;
  __builtin_trap();
}

/* Everything else: "Function not implemented", memory untouched. */
#define ENOSYS_STUB(name, params) \
  HIDDEN int32_t __imported_wasi_snapshot_preview1_##name params { return WASI_ENOSYS; }

ENOSYS_STUB(fd_read, (int32_t fd, int32_t iovs, int32_t iovs_len, int32_t nread))
ENOSYS_STUB(fd_pread, (int32_t fd, int32_t iovs, int32_t iovs_len, int64_t offset,
                       int32_t nread))
ENOSYS_STUB(fd_pwrite, (int32_t fd, int32_t iovs, int32_t iovs_len, int64_t offset,
                        int32_t nwritten))
ENOSYS_STUB(fd_seek, (int32_t fd, int64_t offset, int32_t whence, int32_t newoffset))
ENOSYS_STUB(fd_tell, (int32_t fd, int32_t offset))
ENOSYS_STUB(fd_close, (int32_t fd))
ENOSYS_STUB(fd_sync, (int32_t fd))
ENOSYS_STUB(fd_datasync, (int32_t fd))
ENOSYS_STUB(fd_fdstat_get, (int32_t fd, int32_t stat))
ENOSYS_STUB(fd_fdstat_set_flags, (int32_t fd, int32_t flags))
ENOSYS_STUB(fd_filestat_get, (int32_t fd, int32_t buf))
ENOSYS_STUB(fd_filestat_set_size, (int32_t fd, int64_t size))
ENOSYS_STUB(fd_prestat_dir_name, (int32_t fd, int32_t path, int32_t path_len))
ENOSYS_STUB(fd_renumber, (int32_t fd, int32_t to))
ENOSYS_STUB(fd_readdir, (int32_t fd, int32_t buf, int32_t buf_len, int64_t cookie,
                         int32_t bufused))
ENOSYS_STUB(path_open, (int32_t fd, int32_t dirflags, int32_t path, int32_t path_len,
                        int32_t oflags, int64_t rights_base, int64_t rights_inheriting,
                        int32_t fdflags, int32_t opened_fd))
ENOSYS_STUB(path_filestat_get, (int32_t fd, int32_t flags, int32_t path,
                                int32_t path_len, int32_t buf))
ENOSYS_STUB(path_create_directory, (int32_t fd, int32_t path, int32_t path_len))
ENOSYS_STUB(path_remove_directory, (int32_t fd, int32_t path, int32_t path_len))
ENOSYS_STUB(path_unlink_file, (int32_t fd, int32_t path, int32_t path_len))
ENOSYS_STUB(path_rename, (int32_t fd, int32_t old_path, int32_t old_path_len,
                          int32_t new_fd, int32_t new_path, int32_t new_path_len))
ENOSYS_STUB(path_readlink, (int32_t fd, int32_t path, int32_t path_len, int32_t buf,
                            int32_t buf_len, int32_t bufused))
ENOSYS_STUB(random_get, (int32_t buf, int32_t buf_len))
ENOSYS_STUB(poll_oneoff, (int32_t in, int32_t out, int32_t nsubscriptions,
                          int32_t nevents))
ENOSYS_STUB(sched_yield, (void))

/*
** Referencing __wasm_call_ctors from a linked object tells wasm-ld that the module
** runs its constructors itself (reactor style). Without it, wasm-ld pulls
** __wasm_call_dtors out of libc.a and wraps every export in a "command export" that
** calls all constructors before and all destructors (stdio shutdown) after each call.
** Nothing calls this function: the only C constructor, wasi-libc's preopened-directory
** scan, is not wanted (no directories exist, so every path lookup fails cleanly).
*/
void __wasm_call_ctors(void);
HIDDEN void lua_wasm_sys_call_ctors(void) { __wasm_call_ctors(); }
