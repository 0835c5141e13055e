//! What files beside this one tell the checks: an ARM template's parameters files and the linked
//! services they parameterise, and the factory's self-hosted integration runtimes.

use super::{FileCx, FileOutcome};
use crate::index;
use crate::source::adf::{self, Version};
use crate::source::document::Document;
use crate::source::json::Node;
use crate::source::read::Links;
use std::path::Path;

/// Give the checks what this file's neighbours say: for an ARM template with 1.0 linked services, the
/// parameter values of its parameters files and the linked-service strings they feed; for a factory file,
/// the self-hosted runtimes its linked services connect via.
pub(super) fn read(cx: &mut FileCx, out: &FileOutcome, root: &Node) {
    let path = cx.path;
    if out.arm_template && out.linked_services.iter().any(|l| l.version == Version::V1) {
        let v1: Vec<&str> = out
            .linked_services
            .iter()
            .filter(|l| l.version == Version::V1)
            .map(|l| l.name.as_str())
            .collect();
        cx.opts.template = crate::fix::arm::template_sources(path, out.template_home.clone(), &v1);
    }
    cx.opts.self_hosted_runtimes = self_hosted_runtimes(path, root);
}

/// The self-hosted integration runtimes the linked services of a factory file connect via: read from the
/// factory's `integrationRuntime/<name>.json` (type `SelfHosted`). A runtime without a file there (an
/// Azure one such as AutoResolveIntegrationRuntime, or one shared from another factory) is not counted.
fn self_hosted_runtimes(path: &Path, root: &Node) -> Vec<String> {
    let Some(factory) = index::factory_root(path) else {
        return Vec::new();
    };
    adf::linked_services(root)
        .iter()
        .filter_map(|l| l.props.get("connectVia")?.str_at("referenceName"))
        .filter(|name| {
            let file = factory
                .join("integrationRuntime")
                .join(format!("{name}.json"));
            // found by name: never through a link, never a FIFO or device
            crate::source::read::read(&file, Links::Refuse)
                .ok()
                .and_then(|b| Document::decode(b).ok())
                .and_then(|d| d.parse().ok())
                .is_some_and(|r| {
                    r.get("properties").and_then(|p| p.str_at("type")) == Some("SelfHosted")
                })
        })
        .map(str::to_string)
        .collect()
}
