//! TLS for the recorder's connections, as libpq makes them: its `sslmode`
//! values, its root and client certificate files and its defaults, read from
//! this project's variables (`POSTGRES_SSLMODE`, ...) or libpq's own
//! (`PGSSLMODE`, ...), and made into a rustls connector for the driver.
//!
//! | `sslmode` | encrypted | server's certificate checked |
//! |---|---|---|
//! | `disable` | never | no |
//! | `allow` | when the server refuses a plain connection | no |
//! | `prefer` (the default, as libpq's) | when the server offers it | no |
//! | `require` | always | no; as `verify-ca` when a root certificate is given |
//! | `verify-ca` | always | signed by the root certificate |
//! | `verify-full` | always | signed by it, and for the host connected to |
//!
//! Where this differs from libpq (rustls's webpki checks certificates as
//! the web does): a server certificate must be X.509 v3 and name its host
//! in its subject alternative names (libpq also takes a v1 certificate, and
//! a host named only in the common name); a root certificate makes
//! `require` verify the chain, but not `allow` or `prefer` (libpq verifies
//! in those too when a root file exists); a root file that is named and
//! missing is an error (libpq carries on unverified under `require`).

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use postgres::config::SslMode as DriverMode;
use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::persistence::Environment;
use crate::{ErrorKind, Result};

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    const NAMES: [(&'static str, Self); 6] = [
        ("disable", Self::Disable),
        ("allow", Self::Allow),
        ("prefer", Self::Prefer),
        ("require", Self::Require),
        ("verify-ca", Self::VerifyCa),
        ("verify-full", Self::VerifyFull),
    ];

    fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, mode)| *mode == self)
            .map_or("prefer", |(name, _)| name)
    }

    /// Whether the server's certificate must be signed by the root
    /// certificate.
    fn verifies(self) -> bool {
        matches!(self, Self::VerifyCa | Self::VerifyFull)
    }
}

/// A file named by a setting: the variable it was read from, and the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct File {
    variable: String,
    path: PathBuf,
}

/// The TLS settings of a recorder's connections.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct TlsSettings {
    mode: SslMode,
    /// The root certificates (PEM) the server's must be signed by.
    root_cert: Option<File>,
    /// A client certificate (PEM) and its private key (PEM: PKCS#8, PKCS#1
    /// or SEC1, unencrypted), for servers that authenticate by certificate.
    client_cert: Option<(File, File)>,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = |file: &File| file.path.display().to_string();
        f.debug_struct("TlsSettings")
            .field("mode", &self.mode.name())
            .field("root_cert", &self.root_cert.as_ref().map(path))
            .field(
                "client_cert",
                &self
                    .client_cert
                    .as_ref()
                    .map(|(cert, key)| (path(cert), path(key))),
            )
            .finish()
    }
}

/// A setting read from this project's variable, else from libpq's.
fn setting(env: &Environment, ours: &str, libpq: &str) -> Result<Option<(String, String)>> {
    match env.lookup(ours)? {
        Some(found) => Ok(Some(found)),
        None => env.lookup(libpq),
    }
}

/// A file named by a setting, else libpq's default file in
/// `~/.postgresql`, when it exists.
fn file(
    env: &Environment,
    ours: &str,
    libpq: &str,
    home: Option<&Path>,
    default: &str,
) -> Result<Option<File>> {
    if let Some((variable, value)) = setting(env, ours, libpq)? {
        return Ok(Some(File {
            variable,
            path: PathBuf::from(value),
        }));
    }
    Ok(home
        .map(|home| home.join(".postgresql").join(default))
        .filter(|path| path.is_file())
        .map(|path| File {
            variable: format!("{ours} (unset: libpq's default file)"),
            path,
        }))
}

fn invalid(variable: &str, value: &str, expected: String) -> crate::Error {
    ErrorKind::InvalidSetting {
        variable: variable.to_owned(),
        value: value.to_owned(),
        expected,
    }
    .into()
}

impl TlsSettings {
    /// Reads `POSTGRES_SSLMODE`, `POSTGRES_SSLROOTCERT`, `POSTGRES_SSLCERT`
    /// and `POSTGRES_SSLKEY`, each else libpq's `PGSSLMODE`, `PGSSLROOTCERT`,
    /// `PGSSLCERT` and `PGSSLKEY`, with libpq's defaults: `prefer`, and the
    /// files `root.crt`, `postgresql.crt` and `postgresql.key` in
    /// `~/.postgresql` where they exist (`home` is the home directory).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidSetting`] naming the variable, for a mode libpq
    /// does not know, a mode that verifies without a root certificate, a
    /// client certificate without its key, and `system` for the root
    /// certificate (the system's store is not read).
    pub(crate) fn from_env(env: &Environment, home: Option<&Path>) -> Result<Self> {
        let (mode_variable, mode) = match setting(env, "POSTGRES_SSLMODE", "PGSSLMODE")? {
            None => ("POSTGRES_SSLMODE (unset)".to_owned(), SslMode::Prefer),
            Some((variable, value)) => {
                let mode = SslMode::NAMES
                    .iter()
                    .find(|(name, _)| *name == value)
                    .map(|(_, mode)| *mode)
                    .ok_or_else(|| {
                        invalid(
                            &variable,
                            &value,
                            "one of disable, allow, prefer, require, verify-ca, verify-full"
                                .to_owned(),
                        )
                    })?;
                (variable, mode)
            }
        };
        let root = file(
            env,
            "POSTGRES_SSLROOTCERT",
            "PGSSLROOTCERT",
            home,
            "root.crt",
        )?;
        if let Some(root) = &root
            && root.path.as_os_str() == "system"
        {
            return Err(invalid(
                &root.variable,
                "system",
                "the path of a PEM file of root certificates (the system's store is not read)"
                    .to_owned(),
            ));
        }
        if mode.verifies() && root.is_none() {
            return Err(invalid(
                &mode_variable,
                mode.name(),
                "a root certificate to verify the server's by: set POSTGRES_SSLROOTCERT (or \
                 PGSSLROOTCERT, or put it in ~/.postgresql/root.crt), or choose require to \
                 encrypt without verifying"
                    .to_owned(),
            ));
        }
        let cert = file(env, "POSTGRES_SSLCERT", "PGSSLCERT", home, "postgresql.crt")?;
        let key = file(env, "POSTGRES_SSLKEY", "PGSSLKEY", home, "postgresql.key")?;
        let client_cert = match (cert, key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, _) => None,
            (Some(cert), None) => {
                return Err(invalid(
                    &cert.variable,
                    &cert.path.display().to_string(),
                    "a client certificate with its key: set POSTGRES_SSLKEY (or PGSSLKEY) too"
                        .to_owned(),
                ));
            }
        };
        // As libpq: with a root certificate, `require` verifies the chain.
        let mode = match (mode, &root) {
            (SslMode::Require, Some(_)) => SslMode::VerifyCa,
            (mode, _) => mode,
        };
        Ok(Self {
            mode,
            root_cert: root,
            client_cert,
        })
    }

    /// The driver's modes to try in turn: `allow` tries a plain connection
    /// then an encrypted one, `prefer` the other way round, as libpq does
    /// when the server refuses the first.
    pub(crate) fn attempts(&self) -> &'static [DriverMode] {
        match self.mode {
            SslMode::Disable => &[DriverMode::Disable],
            SslMode::Allow => &[DriverMode::Disable, DriverMode::Require],
            SslMode::Prefer => &[DriverMode::Prefer, DriverMode::Disable],
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => &[DriverMode::Require],
        }
    }

    /// The connector, with the certificate files read.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidSetting`] naming the variable whose file cannot
    /// be read or holds no certificate or key.
    pub(crate) fn connector(&self) -> Result<Connector> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let chain = match &self.root_cert {
            Some(root) if self.mode.verifies() => {
                let mut roots = RootCertStore::empty();
                for cert in certificates(root)? {
                    roots
                        .add(cert)
                        .map_err(|e| unreadable(root, &e.to_string()))?;
                }
                let webpki = WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    Arc::clone(&provider),
                )
                .build()
                .map_err(|e| unreadable(root, &e.to_string()))?;
                Some(webpki)
            }
            _ => None,
        };
        let verifier = Arc::new(Verifier {
            chain,
            name: self.mode == SslMode::VerifyFull,
            provider: Arc::clone(&provider),
        });
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid("POSTGRES_SSLMODE", self.mode.name(), e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let config = match &self.client_cert {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => {
                let chain = certificates(cert)?;
                let private = PrivateKeyDer::from_pem_file(&key.path)
                    .map_err(|e| unreadable(key, &e.to_string()))?;
                builder
                    .with_client_auth_cert(chain, private)
                    .map_err(|e| unreadable(key, &e.to_string()))?
            }
        };
        Ok(Connector {
            config: Arc::new(config),
            names_host: self.mode == SslMode::VerifyFull,
        })
    }
}

fn unreadable(file: &File, reason: &str) -> crate::Error {
    invalid(
        &file.variable,
        &file.path.display().to_string(),
        format!("a readable PEM file ({reason})"),
    )
}

/// The certificates of a PEM file: at least one.
fn certificates(file: &File) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(&file.path)
        .and_then(Iterator::collect::<std::result::Result<Vec<_>, _>>)
        .map_err(|e| unreadable(file, &e.to_string()))?;
    if certs.is_empty() {
        return Err(unreadable(file, "no certificate in it"));
    }
    Ok(certs)
}

/// Checks the server's certificate as the mode asks: not at all (libpq's
/// `prefer` and `require` without a root certificate), its chain
/// (`verify-ca`), or its chain and its name (`verify-full`). The
/// handshake's signatures are checked in every mode.
#[derive(Debug)]
struct Verifier {
    /// The root certificates' verifier, when the chain is checked.
    chain: Option<Arc<WebPkiServerVerifier>>,
    /// Whether the certificate must name the host.
    name: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        // webpki checks the chain first and the name last: a name that does
        // not match means the chain held.
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The driver's TLS connector: one rustls configuration for every
/// connection of a recorder (its pool's and its subscriptions').
#[derive(Clone)]
pub(crate) struct Connector {
    config: Arc<ClientConfig>,
    /// Whether the host's name is checked (`verify-full`), so must be one a
    /// certificate can name.
    names_host: bool,
}

impl<S> MakeTlsConnect<S> for Connector
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = Encrypted<S>;
    type TlsConnect = Handshake;
    type Error = rustls::pki_types::InvalidDnsNameError;

    fn make_tls_connect(&mut self, host: &str) -> std::result::Result<Handshake, Self::Error> {
        let name = match ServerName::try_from(host.to_owned()) {
            Ok(name) => name,
            Err(e) if self.names_host => return Err(e),
            // Not checked: no name is sent.
            Err(_) => ServerName::IpAddress(IpAddr::V4(Ipv4Addr::UNSPECIFIED).into()),
        };
        Ok(Handshake {
            config: Arc::clone(&self.config),
            name,
        })
    }
}

/// One connection's TLS handshake.
pub(crate) struct Handshake {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S> TlsConnect<S> for Handshake
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = Encrypted<S>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<Encrypted<S>, BoxError>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            tokio_rustls::TlsConnector::from(self.config)
                .connect(self.name, stream)
                .await
                .map(Encrypted)
                .map_err(|error| -> BoxError {
                    // A refused certificate is not an I/O failure that may
                    // pass: give rustls's reason, not the I/O error around it.
                    match error
                        .get_ref()
                        .and_then(|e| e.downcast_ref::<rustls::Error>())
                    {
                        Some(refused) => Box::new(refused.clone()),
                        None => Box::new(error),
                    }
                })
        })
    }
}

/// An encrypted stream.
pub(crate) struct Encrypted<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Encrypted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Encrypted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for Encrypted<S> {
    /// None: SCRAM's channel binding needs the hash the server's
    /// certificate was signed with, which is not worked out here; the
    /// driver then authenticates without it, as libpq's default `prefer`
    /// allows.
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(values: &[(&str, &str)], home: Option<&Path>) -> Result<TlsSettings> {
        TlsSettings::from_env(
            &Environment::isolated("Universe", values.iter().copied()),
            home,
        )
    }

    #[test]
    fn the_default_is_libpqs_prefer_and_each_mode_is_tried_as_libpq_tries_it() {
        let prefer = settings(&[], None).unwrap();
        assert_eq!(
            (prefer.mode, prefer.root_cert, prefer.client_cert),
            (SslMode::Prefer, None, None)
        );
        for (name, mode, attempts) in [
            ("disable", SslMode::Disable, &[DriverMode::Disable][..]),
            (
                "allow",
                SslMode::Allow,
                &[DriverMode::Disable, DriverMode::Require],
            ),
            (
                "prefer",
                SslMode::Prefer,
                &[DriverMode::Prefer, DriverMode::Disable],
            ),
            ("require", SslMode::Require, &[DriverMode::Require]),
        ] {
            let tls = settings(&[("PGSSLMODE", name)], None).unwrap();
            assert_eq!(tls.mode, mode);
            assert_eq!(tls.mode.name(), name);
            assert_eq!(tls.attempts(), attempts);
            tls.connector().unwrap();
        }
        // The application's own variable first, then this project's, then libpq's.
        let tls = settings(
            &[
                ("UNIVERSE_POSTGRES_SSLMODE", "disable"),
                ("POSTGRES_SSLMODE", "allow"),
                ("PGSSLMODE", "require"),
            ],
            None,
        )
        .unwrap();
        assert_eq!(tls.mode, SslMode::Disable);
    }

    /// As libpq: `~/.postgresql/root.crt`, `postgresql.crt` and
    /// `postgresql.key` are read when no variable names a file, and a root
    /// certificate makes `require` verify the chain.
    #[test]
    fn libpqs_default_files_are_read_where_they_exist() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(
            settings(&[("PGSSLMODE", "require")], Some(home.path()))
                .unwrap()
                .mode,
            SslMode::Require
        );
        let dir = home.path().join(".postgresql");
        std::fs::create_dir(&dir).unwrap();
        for name in ["root.crt", "postgresql.crt", "postgresql.key"] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        let tls = settings(&[("PGSSLMODE", "require")], Some(home.path())).unwrap();
        assert_eq!(tls.mode, SslMode::VerifyCa);
        assert_eq!(tls.root_cert.unwrap().path, dir.join("root.crt"));
        let (cert, key) = tls.client_cert.unwrap();
        assert_eq!(
            (cert.path, key.path),
            (dir.join("postgresql.crt"), dir.join("postgresql.key"))
        );
        // A variable wins over the default file.
        let tls = settings(&[("PGSSLROOTCERT", "/elsewhere.crt")], Some(home.path())).unwrap();
        assert_eq!(tls.root_cert.unwrap().path, Path::new("/elsewhere.crt"));
        // An empty root file holds no certificate: refused naming where it came from.
        let err = settings(&[("PGSSLMODE", "verify-ca")], Some(home.path()))
            .unwrap()
            .connector()
            .err()
            .unwrap();
        assert!(err.to_string().contains("libpq's default file"), "{err}");
        assert!(err.to_string().contains("no certificate"), "{err}");
    }
}
