//! Throwaway certificates: a CA, a server certificate and a client certificate, for the demo and for
//! tests. Production certificates come from cert-manager, a mesh, or your own PKI.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    SanType,
};

/// A certificate and its private key, PEM-encoded.
#[derive(Clone)]
pub struct Pem {
    pub cert: String,
    pub key: String,
}

impl std::fmt::Debug for Pem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pem").field("cert", &self.cert).field("key", &"<redacted>").finish()
    }
}

/// A certificate authority able to issue server and client certificates.
pub struct CertificateAuthority {
    issuer: Issuer<'static, KeyPair>,
    pub cert_pem: String,
}

impl CertificateAuthority {
    pub fn new(common_name: &str) -> Result<Self, rcgen::Error> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        Ok(Self { cert_pem: cert.pem(), issuer: Issuer::new(params, key) })
    }

    /// A server certificate for these DNS names and IP addresses.
    pub fn server(&self, names: &[&str]) -> Result<Pem, rcgen::Error> {
        self.issue(names[0], names, vec![], ExtendedKeyUsagePurpose::ServerAuth, None)
    }

    /// A server certificate that expires at `not_after` (to test the expiry it exports).
    pub fn server_valid_until(&self, names: &[&str], not_after: time::OffsetDateTime) -> Result<Pem, rcgen::Error> {
        let validity = Some((time::OffsetDateTime::now_utc() - time::Duration::DAY, not_after));
        self.issue(names[0], names, vec![], ExtendedKeyUsagePurpose::ServerAuth, validity)
    }

    /// A client certificate with a common name, and optionally a SPIFFE ID and DNS names.
    pub fn client(&self, common_name: &str, dns_names: &[&str], uris: Vec<String>) -> Result<Pem, rcgen::Error> {
        self.issue(common_name, dns_names, uris, ExtendedKeyUsagePurpose::ClientAuth, None)
    }

    /// A client certificate valid only between `not_before` and `not_after` (to test expiry).
    pub fn client_valid_between(
        &self,
        uri: &str,
        not_before: time::OffsetDateTime,
        not_after: time::OffsetDateTime,
    ) -> Result<Pem, rcgen::Error> {
        self.issue(
            "client",
            &[],
            vec![uri.to_owned()],
            ExtendedKeyUsagePurpose::ClientAuth,
            Some((not_before, not_after)),
        )
    }

    fn issue(
        &self,
        common_name: &str,
        names: &[&str],
        uris: Vec<String>,
        usage: ExtendedKeyUsagePurpose,
        validity: Option<(time::OffsetDateTime, time::OffsetDateTime)>,
    ) -> Result<Pem, rcgen::Error> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        if let Some((not_before, not_after)) = validity {
            params.not_before = not_before;
            params.not_after = not_after;
        }
        params.distinguished_name.push(DnType::CommonName, common_name);
        for name in names {
            let san = match name.parse::<std::net::IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName((*name).try_into()?),
            };
            params.subject_alt_names.push(san);
        }
        for uri in uris {
            params.subject_alt_names.push(SanType::URI(uri.try_into()?));
        }
        params.extended_key_usages = vec![usage];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(Pem { cert: cert.pem(), key: key.serialize_pem() })
    }
}

/// The SPIFFE ID of the demo's client certificate.
pub const DEMO_CLIENT_ID: &str = "spiffe://odoo-mesh.local/ns/demo/sa/client";

/// Everything the demo (or a test) needs for mutual TLS on localhost.
pub struct DemoPki {
    /// The CA, to issue further certificates (tests use it for other identities and rotation).
    pub ca: CertificateAuthority,
    pub ca_pem: String,
    pub server: Pem,
    pub client: Pem,
}

/// Where `DemoPki::write_to` puts each file.
#[derive(Debug, Clone)]
pub struct PkiFiles {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// An authorization policy that lets the demo client call everything.
    pub policy: PathBuf,
}

impl DemoPki {
    pub fn generate() -> Result<Self, rcgen::Error> {
        let ca = CertificateAuthority::new("odoo-mesh demo CA")?;
        Ok(Self {
            server: ca.server(&["localhost", "127.0.0.1", "::1"])?,
            client: ca.client("demo-client", &["demo-client.odoo-mesh.local"], vec![DEMO_CLIENT_ID.into()])?,
            ca_pem: ca.cert_pem.clone(),
            ca,
        })
    }

    pub fn write_to(&self, dir: &Path) -> std::io::Result<PkiFiles> {
        std::fs::create_dir_all(dir)?;
        let files = PkiFiles {
            ca: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client.key"),
            policy: dir.join("policy.toml"),
        };
        std::fs::write(&files.ca, &self.ca_pem)?;
        std::fs::write(&files.server_cert, &self.server.cert)?;
        write_private(&files.server_key, &self.server.key)?;
        std::fs::write(&files.client_cert, &self.client.cert)?;
        write_private(&files.client_key, &self.client.key)?;
        std::fs::write(
            &files.policy,
            format!(
                "# Lets the demo client call every method.\noperations = [\"**\"]\n\n[[allow]]\nidentities = [\"{DEMO_CLIENT_ID}\"]\nmethods = [\"*\"]\n"
            ),
        )?;
        Ok(files)
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
