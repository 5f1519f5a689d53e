//! The `--config` file (`services/config.rs`), read and resolved as `odoo-mesh serve` does.
//! Properties: any text resolves or is refused in one line; a resolved configuration reaches Odoo
//! over http(s) and keeps resume tokens alive longer than a heartbeat. Files the text names for
//! secrets are replaced with one the target writes, so no input reads whatever file it names.

use std::{
    path::PathBuf,
    sync::{
        LazyLock,
        atomic::{AtomicU64, Ordering},
    },
};

use odoo_mesh::config::{Config, ServeArgs};

/// The settings naming a file a secret is read from, at the top and in `[[odoo_credentials]]`.
const SECRET_FILES: [&str; 5] =
    ["odoo_api_key_file", "odoo_password_file", "webhook_secret_file", "api_key_file", "password_file"];

static KEY_FILE: LazyLock<PathBuf> = LazyLock::new(|| {
    let path = std::env::temp_dir().join(format!("odoo-mesh-fuzz-key-{}", std::process::id()));
    std::fs::write(&path, "fuzz-key\n").expect("write the key file");
    path
});

/// The text of a config file.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Text that is no TOML is refused before any file it names is read.
    let text = match text.parse::<toml::Table>() {
        Ok(mut table) => {
            if !replace_secret_files(&mut table) {
                text.to_owned()
            } else if let Ok(text) = toml::to_string(&table) {
                text
            } else {
                return;
            }
        }
        Err(_) => text.to_owned(),
    };
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "odoo-mesh-fuzz-config-{}-{}.toml",
        std::process::id(),
        CALLS.fetch_add(1, Ordering::Relaxed) % 4
    ));
    std::fs::write(&path, &text).expect("write the config file");
    let resolved = Config::resolve(ServeArgs { config: Some(path.clone()), ..ServeArgs::default() });
    let _ = std::fs::remove_file(&path);
    match resolved {
        Ok(config) => {
            let uri: http::Uri = config.odoo.url.parse().expect("the odoo url was checked");
            assert!(matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some(), "{uri}");
            assert!(config.watch.retention.window > config.watch.stream.heartbeat);
        }
        Err(error) => {
            let message = error.to_string();
            assert!(!message.contains('\n'), "an error of several lines: {message:?}");
        }
    }
}

/// Points every secret file the table names at the target's own; whether there was any.
fn replace_secret_files(table: &mut toml::Table) -> bool {
    let mut replaced = false;
    for (key, value) in table.iter_mut() {
        match value {
            toml::Value::String(path) if SECRET_FILES.contains(&key.as_str()) => {
                *path = KEY_FILE.display().to_string();
                replaced = true;
            }
            toml::Value::Table(inner) => replaced |= replace_secret_files(inner),
            toml::Value::Array(items) => {
                for item in items {
                    if let toml::Value::Table(inner) = item {
                        replaced |= replace_secret_files(inner);
                    }
                }
            }
            _ => {}
        }
    }
    replaced
}
