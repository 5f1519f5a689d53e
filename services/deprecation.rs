//! Deprecated methods, as the contracts mark them: `option deprecated = true;` on a method, or on
//! its whole service. Their calls are counted (`odoo_mesh_deprecated_calls_total`), so who still
//! calls a method shows on a dashboard long before the method is removed in the next version.

use std::{collections::HashSet, sync::LazyLock};

use prost::Message;
use prost_types::FileDescriptorSet;

/// The request paths (`/package.Service/Method`) of the deprecated methods in a descriptor set.
pub(crate) fn deprecated_methods(descriptor_set: &[u8]) -> HashSet<String> {
    let Ok(set) = FileDescriptorSet::decode(descriptor_set) else { return HashSet::new() };
    let mut paths = HashSet::new();
    for file in &set.file {
        let package = file.package();
        for service in &file.service {
            let whole_service = service.options.as_ref().is_some_and(|o| o.deprecated());
            for method in &service.method {
                if whole_service || method.options.as_ref().is_some_and(|o| o.deprecated()) {
                    paths.insert(format!("/{package}.{}/{}", service.name(), method.name()));
                }
            }
        }
    }
    paths
}

/// Whether odoo-mesh's own contracts mark the method at this request path deprecated.
pub(crate) fn is_deprecated(path: &str) -> bool {
    static DEPRECATED: LazyLock<HashSet<String>> =
        LazyLock::new(|| deprecated_methods(crate::proto::FILE_DESCRIPTOR_SET));
    DEPRECATED.contains(path)
}

#[cfg(test)]
mod tests {
    use prost_types::{
        FileDescriptorProto, MethodDescriptorProto, MethodOptions, ServiceDescriptorProto, ServiceOptions,
    };

    use super::*;

    fn method(name: &str, deprecated: bool) -> MethodDescriptorProto {
        MethodDescriptorProto {
            name: Some(name.into()),
            options: deprecated.then(|| MethodOptions { deprecated: Some(true), ..Default::default() }),
            ..Default::default()
        }
    }

    #[test]
    fn a_method_is_deprecated_by_its_own_option_or_its_services() {
        let set = FileDescriptorSet {
            file: vec![FileDescriptorProto {
                package: Some("odoomesh.order.v1".into()),
                service: vec![
                    ServiceDescriptorProto {
                        name: Some("OrderService".into()),
                        method: vec![method("GetSalesOrder", false), method("ListOrders", true)],
                        ..Default::default()
                    },
                    ServiceDescriptorProto {
                        name: Some("LegacyService".into()),
                        method: vec![method("Ping", false)],
                        options: Some(ServiceOptions { deprecated: Some(true), ..Default::default() }),
                    },
                ],
                ..Default::default()
            }],
        };
        let paths = deprecated_methods(&set.encode_to_vec());
        let expected: HashSet<String> =
            ["/odoomesh.order.v1.OrderService/ListOrders", "/odoomesh.order.v1.LegacyService/Ping"]
                .map(String::from)
                .into();
        assert_eq!(paths, expected);
    }

    #[test]
    fn no_v1_method_is_deprecated_yet() {
        // When one is, the README's versioning section names it and when it goes.
        assert!(deprecated_methods(crate::proto::FILE_DESCRIPTOR_SET).is_empty());
        assert!(!is_deprecated("/odoomesh.order.v1.OrderService/CreateSalesOrder"));
    }
}
