//! Holding a root's lock from the test itself, as another run would, to see what a
//! machinist run does about it (wait, fail at once, or share it).

use super::Test;
use std::fs::File;

/// Lock the root of `test` (exclusive or shared) until the returned file is dropped.
/// The lock file is the one an earlier run of the test left in its lock folder (the
/// folder's `.registry` aside).
pub fn hold_lock(test: &Test, exclusive: bool) -> File {
    let files: Vec<_> = std::fs::read_dir(test.lock_dir())
        .expect("lock dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "lock"))
        .collect();
    assert_eq!(files.len(), 1, "expected one lock file, found {files:?}");
    let file = File::options()
        .read(true)
        .write(true)
        .open(&files[0])
        .expect("open lock file");
    let operation = if exclusive {
        rustix::fs::FlockOperation::NonBlockingLockExclusive
    } else {
        rustix::fs::FlockOperation::NonBlockingLockShared
    };
    rustix::fs::flock(&file, operation).expect("the lock is free");
    file
}
