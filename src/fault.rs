//! **Fault injection** for the tests of panic containment.
//!
//! A debug build of invlint panics on purpose at a named **point** for a named **subject**
//! when the environment variable `INVLINT_TEST_PANIC` is `point:subject`, e.g. `read:users.csv`
//! or `rule:AD001`. Points: `open` (reading a file's head), `read` (reading its rows),
//! `locate` (re-reading it to locate findings), `compile` (compiling a rule), `index` (building
//! a key index of a table kind, e.g. `index:registrars`), `join` (`join:all`, resolving the
//! shared lookups), `rule` (evaluating a rule), `reread` (reading a file again for columns a
//! reporter wanted and the run did not keep). Release builds
//! compile this to nothing, so it cannot fire in production.

/// Panic here if the tests asked for it (debug builds only).
#[inline]
pub(crate) fn inject(point: &str, subject: &str) {
    if cfg!(debug_assertions) {
        if let Some(wanted) = std::env::var_os("INVLINT_TEST_PANIC") {
            let wanted = wanted.to_string_lossy();
            if wanted.split_once(':') == Some((point, subject)) {
                panic!("injected by INVLINT_TEST_PANIC={wanted}");
            }
        }
    }
}

/// The text of a caught panic's payload.
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
