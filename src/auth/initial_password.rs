//! The generated first admin password is written to `<data dir>/initial-admin-password`, readable by
//! its owner only, and never to the log: logs are kept, shipped and pasted into bug reports. The
//! file goes when that admin's password changes, since from then on it would only mislead.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::AppError;

pub const FILE_NAME: &str = "initial-admin-password";

/// Where the file is (or would be) for this data directory.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// Writes `secret` to a new file of mode 0600 (an old one is replaced).
pub fn write(path: &Path, secret: &str) -> Result<(), AppError> {
    let failed = |e: std::io::Error| AppError::Internal(format!("writing {}: {e}", path.display()));
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(failed(e)),
        _ => {}
    }
    // created with its final mode, so the secret is never readable by others, not even for a moment
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(failed)?;
    file.write_all(format!("{secret}\n").as_bytes()).map_err(failed)?;
    file.sync_all().map_err(failed)
}

/// Whether the file is there.
pub fn exists(path: &Path) -> bool {
    path.exists()
}

/// Removes the file if it is there; a failure is logged, since the password change it follows has
/// already happened.
pub fn remove(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => log::info!("removed {}: the first admin's password has changed", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => log::warn!("cannot remove {} (remove it by hand): {e}", path.display()),
    }
}

/// After `username`'s password changed (or the user went): the file of the first admin goes.
pub fn forget_for(data_dir: &Path, username: &str) {
    if username == super::users::FIRST_ADMIN {
        remove(&path(data_dir));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_file_is_the_owners_alone_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path());
        assert!(!exists(&file));
        std::fs::write(&file, "an older and much longer secret\n").unwrap();
        write(&file, "s3cret").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "s3cret\n");
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        remove(&file);
        assert!(!exists(&file));
        remove(&file);
    }
}
