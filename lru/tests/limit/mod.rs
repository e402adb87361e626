//! Runs a test in a child process under a 4 GiB address-space limit, so that an allocation a
//! parameter asks for either succeeds or comes back as the crate's typed error, whatever this
//! machine's overcommit policy would do with it. (This file is the same in every brick.)

use std::process::Command;

/// The address-space limit: 4 GiB.
pub(crate) const LIMIT_BYTES: u64 = 1 << 32;

/// In the parent, runs test `name` of this binary again under the limit (`prlimit` from
/// util-linux) and returns true once the child passed; the caller then returns. In the child,
/// or where `prlimit` cannot be started, returns false: the caller runs its body here.
pub(crate) fn ran_under_limit(name: &str) -> bool {
    if std::env::var_os("BRICKS_UNDER_LIMIT").is_some() {
        return false;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let run = Command::new("prlimit")
        .arg(format!("--as={LIMIT_BYTES}"))
        .arg(&exe)
        .args(["--exact", name, "--test-threads=1", "--nocapture"])
        .env("BRICKS_UNDER_LIMIT", "1")
        .output();
    let Ok(out) = run else {
        return false;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{name} under a {LIMIT_BYTES}-byte address-space limit: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // The child must have run exactly that test: a filter that matched nothing proves nothing.
    assert!(
        stdout.contains("1 passed"),
        "{name} did not run in the child:\n{stdout}"
    );
    true
}
