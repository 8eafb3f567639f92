//! Where one Docker Engine listens and how to prove who we are to it. `Config` builds the `local`
//! host's endpoint from `DOCKER_HOST`, `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`; this file turns
//! an endpoint into a bollard client, and nothing here reads the environment.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::{Docker, API_DEFAULT_VERSION};

use super::connect::describe;

/// How to reach one Docker Engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DockerEndpoint {
    /// `unix:///path/to/docker.sock`, `tcp://host:port` or `http://host:port`, as `DOCKER_HOST`.
    pub url: String,
    /// The client certificate and key, and the CA the Engine's certificate must come from; `None`
    /// speaks plain HTTP (or the socket).
    pub tls: Option<TlsFiles>,
}

/// PEM files for TLS to the Engine, as the Docker CLI keeps them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// `ca.pem`, `cert.pem` and `key.pem` in `dir`, the layout of `DOCKER_CERT_PATH`.
    pub fn in_dir(dir: &Path) -> TlsFiles {
        TlsFiles { ca: dir.join("ca.pem"), cert: dir.join("cert.pem"), key: dir.join("key.pem") }
    }

    /// Writes a host's PEM texts where bollard reads them: `dir` (0700) holds `ca.pem`,
    /// `cert.pem` and `key.pem`, each 0600, since the key is a secret.
    pub fn write(dir: &Path, ca: &str, cert: &str, key: &str) -> std::io::Result<TlsFiles> {
        use std::io::Write;
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        let files = TlsFiles::in_dir(dir);
        for (path, text) in [(&files.ca, ca), (&files.cert, cert), (&files.key, key)] {
            let mut file =
                std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            file.write_all(text.as_bytes())?;
        }
        Ok(files)
    }
}

impl Default for DockerEndpoint {
    fn default() -> Self {
        DockerEndpoint { url: DockerEndpoint::DEFAULT_URL.into(), tls: None }
    }
}

impl DockerEndpoint {
    /// The Engine's own socket, where `DOCKER_HOST` points when it is not set.
    pub const DEFAULT_URL: &'static str = "unix:///var/run/docker.sock";

    /// A client for this endpoint whose requests give up after `timeout`. Nothing is sent yet;
    /// the error says what is wrong with the endpoint (a scheme, a missing file or socket).
    pub fn client(&self, timeout: Duration) -> Result<Docker, String> {
        let (url, timeout) = (self.url.as_str(), timeout.as_secs());
        if url.starts_with("unix://") {
            return Docker::connect_with_unix(url, timeout, API_DEFAULT_VERSION).map_err(|e| describe(&e));
        }
        if !(url.starts_with("tcp://") || url.starts_with("http://")) {
            return Err(
                "the scheme is not supported; use unix:///path/to/docker.sock or tcp://host:port".into()
            );
        }
        let Some(tls) = &self.tls else {
            return Docker::connect_with_http(url, timeout, API_DEFAULT_VERSION).map_err(|e| describe(&e));
        };
        let file = |path: &Path| match path.is_file() {
            true => Ok(path.to_path_buf()),
            false => Err(format!(
                "DOCKER_TLS_VERIFY is set but {} is missing (set DOCKER_CERT_PATH to the directory holding \
                 ca.pem, cert.pem and key.pem)",
                path.display()
            )),
        };
        let (key, cert, ca) = (file(&tls.key)?, file(&tls.cert)?, file(&tls.ca)?);
        Docker::connect_with_ssl(url, &key, &cert, &ca, timeout, API_DEFAULT_VERSION)
            .map_err(|e| describe(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(url: &str, tls: Option<&str>) -> Result<Docker, String> {
        let tls = tls.map(|dir| TlsFiles::in_dir(Path::new(dir)));
        DockerEndpoint { url: url.into(), tls }.client(Duration::from_secs(30))
    }

    #[test]
    fn docker_host_schemes() {
        assert!(client("tcp://127.0.0.1:2375", None).is_ok());
        assert!(client("http://proxy:2375", None).is_ok());
        let tls = client("tcp://127.0.0.1:2376", Some("/nonexistent")).err().unwrap();
        assert!(tls.contains("DOCKER_TLS_VERIFY is set but /nonexistent/key.pem is missing"), "{tls}");
        let ssh = client("ssh://pi@raspberry", None).err().unwrap();
        assert!(ssh.contains("not supported"), "{ssh}");
        let missing = client("unix:///nonexistent/docker.sock", None).err().unwrap();
        assert_eq!(missing, "no Docker socket at /nonexistent/docker.sock");
    }

    #[test]
    fn a_hosts_pem_files_are_written_for_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let host_dir = dir.path().join("hosts/pi");
        let files = TlsFiles::write(&host_dir, "CA", "CERT", "KEY").unwrap();
        assert_eq!(std::fs::read_to_string(&files.key).unwrap(), "KEY");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&files.ca), mode(&files.key), mode(&host_dir)), (0o600, 0o600, 0o700));
        // written again (an edit) it holds only the new text
        TlsFiles::write(&host_dir, "CA2", "C", "K").unwrap();
        assert_eq!(std::fs::read_to_string(&files.ca).unwrap(), "CA2");
    }

    #[test]
    fn tls_is_for_tcp_only_like_the_docker_cli() {
        // a socket ignores DOCKER_TLS_VERIFY, as before
        let socket = client("unix:///nonexistent/docker.sock", Some("/nonexistent")).err().unwrap();
        assert_eq!(socket, "no Docker socket at /nonexistent/docker.sock");
    }
}
