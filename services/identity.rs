//! Who is calling: the identity in a verified client certificate — its SPIFFE ID (exactly one URI
//! SAN, as X.509-SVIDs carry) or, failing that, its first DNS SAN — or, in mesh mode, the one the
//! local sidecar forwards in `x-forwarded-client-cert`.

use std::fmt;

use x509_parser::{extensions::GeneralName, prelude::FromDer};

/// A caller's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// `spiffe://<trust domain>/<path>`, for example `spiffe://shop.example/ns/web/sa/storefront`.
    Spiffe(String),
    /// A DNS name, for example `wms.internal.example`.
    Dns(String),
}

impl Identity {
    /// The text policies match against.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Spiffe(id) | Self::Dns(id) => id,
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a certificate yields no usable identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("the certificate cannot be parsed")]
    Unparsable,
    #[error("the certificate has {0} URI SANs; an X.509-SVID has exactly one")]
    SeveralUris(usize),
    #[error("the URI SAN {0:?} is not a SPIFFE ID")]
    NotSpiffe(String),
    #[error("the certificate names no SPIFFE ID and no DNS name")]
    Anonymous,
}

/// The identity a DER-encoded end-entity certificate names.
pub fn from_certificate(der: &[u8]) -> Result<Identity, IdentityError> {
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der).map_err(|_| IdentityError::Unparsable)?;
    let names: Vec<GeneralName<'_>> = cert
        .subject_alternative_name()
        .map_err(|_| IdentityError::Unparsable)?
        .map(|ext| ext.value.general_names.clone())
        .unwrap_or_default();
    let uris: Vec<&str> =
        names.iter().filter_map(|n| if let GeneralName::URI(u) = n { Some(*u) } else { None }).collect();
    match uris.as_slice() {
        [uri] if uri.starts_with("spiffe://") && uri.len() > "spiffe://".len() => {
            Ok(Identity::Spiffe((*uri).to_owned()))
        }
        [uri] => Err(IdentityError::NotSpiffe((*uri).to_owned())),
        [] => names
            .iter()
            .find_map(|n| if let GeneralName::DNSName(d) = n { Some(Identity::Dns((*d).to_owned())) } else { None })
            .ok_or(IdentityError::Anonymous),
        several => Err(IdentityError::SeveralUris(several.len())),
    }
}

/// The identity in an Envoy `x-forwarded-client-cert` header: the `URI=` (SPIFFE ID) of its last
/// element — the hop closest to us — or else its `DNS=`.
pub fn from_forwarded_client_cert(header: &str) -> Option<Identity> {
    let element = header.rsplit(',').next()?;
    let mut dns = None;
    for pair in element.split(';') {
        let (key, value) = pair.split_once('=')?;
        let value = value.trim_matches('"');
        match key.trim() {
            "URI" if value.starts_with("spiffe://") => return Some(Identity::Spiffe(value.to_owned())),
            "DNS" if dns.is_none() => dns = Some(Identity::Dns(value.to_owned())),
            _ => {}
        }
    }
    dns
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::CertificateAuthority;

    fn der(pem: &str) -> Vec<u8> {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        CertificateDer::from_pem_slice(pem.as_bytes()).expect("pem").to_vec()
    }

    #[test]
    fn a_spiffe_id_wins_over_dns_names() {
        let ca = CertificateAuthority::new("test").expect("ca");
        let cert =
            ca.client("c", &["svc.example"], vec!["spiffe://shop.example/ns/web/sa/storefront".into()]).expect("cert");
        assert_eq!(
            from_certificate(&der(&cert.cert)),
            Ok(Identity::Spiffe("spiffe://shop.example/ns/web/sa/storefront".into()))
        );
    }

    #[test]
    fn a_dns_name_serves_when_there_is_no_uri() {
        let ca = CertificateAuthority::new("test").expect("ca");
        let cert = ca.client("c", &["wms.internal.example"], vec![]).expect("cert");
        assert_eq!(from_certificate(&der(&cert.cert)), Ok(Identity::Dns("wms.internal.example".into())));
    }

    #[test]
    fn two_uri_sans_are_refused() {
        let ca = CertificateAuthority::new("test").expect("ca");
        let cert =
            ca.client("c", &[], vec!["spiffe://a.example/x".into(), "spiffe://b.example/y".into()]).expect("cert");
        assert_eq!(from_certificate(&der(&cert.cert)), Err(IdentityError::SeveralUris(2)));
    }

    #[test]
    fn forwarded_client_cert_uses_the_closest_hop() {
        let header = r#"By=spiffe://mesh/ns/a/sa/x;URI=spiffe://mesh/ns/old/sa/y,By=spiffe://mesh/ns/odoo/sa/mesh;Hash=abc;Subject="";URI=spiffe://mesh/ns/shop/sa/web;DNS=web.shop"#;
        assert_eq!(from_forwarded_client_cert(header), Some(Identity::Spiffe("spiffe://mesh/ns/shop/sa/web".into())));
        assert_eq!(from_forwarded_client_cert("Hash=abc;DNS=wms.example"), Some(Identity::Dns("wms.example".into())));
        assert_eq!(from_forwarded_client_cert("garbage"), None);
    }
}
