//! One Odoo client per configured Odoo user. By default every call acts as the service's own user;
//! identities can be mapped to dedicated bot users (with their own API keys), so Odoo's access rules
//! apply per calling service and an Odoo `AccessError` reaches that caller as `PERMISSION_DENIED`.

use std::{sync::Arc, time::Duration};

use odoo_adapter::{Finance, Inventory, Odoo, OdooClient, OdooConfig, OdooError, Purchases, Sales, Shipments};

use crate::{authz::Caller, policy};

/// The Odoo connection of one Odoo user, with the business flows over it.
pub struct Backend {
    pub odoo: Arc<Odoo>,
    pub inventory: Inventory,
    pub sales: Sales,
    pub purchases: Purchases,
    pub shipments: Shipments,
    pub finance: Finance,
}

impl Backend {
    fn new(config: OdooConfig) -> Result<Self, OdooError> {
        let odoo = Arc::new(Odoo::new(Arc::new(OdooClient::new(config)?)));
        Ok(Self {
            inventory: Inventory::new(odoo.clone()),
            sales: Sales::new(odoo.clone()),
            purchases: Purchases::new(odoo.clone()),
            shipments: Shipments::new(odoo.clone()),
            finance: Finance::new(odoo.clone()),
            odoo,
        })
    }

    pub fn client(&self) -> &Arc<OdooClient> {
        self.odoo.client()
    }
}

/// The default backend and those mapped to identities.
pub struct Backends {
    default: Backend,
    mapped: Vec<(Vec<String>, Backend)>,
}

impl Backends {
    /// `mapped` pairs identity patterns (as in the authorization policy) with an Odoo user's config.
    pub fn new(default: OdooConfig, mapped: Vec<(Vec<String>, OdooConfig)>) -> Result<Self, OdooError> {
        Ok(Self {
            default: Backend::new(default)?,
            mapped: mapped
                .into_iter()
                .map(|(patterns, config)| Ok((patterns, Backend::new(config)?)))
                .collect::<Result<_, OdooError>>()?,
        })
    }

    /// The backend acting for this caller: the first mapping that matches, else the default.
    pub fn for_caller(&self, caller: &Caller) -> &Backend {
        self.mapped
            .iter()
            .find(|(patterns, _)| patterns.iter().any(|p| policy::identity_matches(p, caller.name())))
            .map_or(&self.default, |(_, backend)| backend)
    }

    /// Whether this caller acts as an Odoo user of its own rather than odoo-mesh's.
    pub fn has_own_user(&self, caller: &Caller) -> bool {
        !std::ptr::eq(self.for_caller(caller), &self.default)
    }

    /// The backend of odoo-mesh's own Odoo user.
    pub fn default_backend(&self) -> &Backend {
        &self.default
    }

    /// odoo-mesh's own connection to Odoo.
    pub fn default_odoo(&self) -> Arc<Odoo> {
        self.default.odoo.clone()
    }

    /// Forgets what every connection knew of Odoo's schema: Odoo came back, maybe upgraded.
    pub fn forget_schemas(&self) {
        self.default.odoo.forget_schema();
        for (_, backend) in &self.mapped {
            backend.odoo.forget_schema();
        }
    }

    /// Re-reads the secret files of every client now and then, so rotated keys apply without a restart.
    pub async fn watch_secrets(self: Arc<Self>, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            let this = self.clone();
            let _ = tokio::task::spawn_blocking(move || {
                this.default.client().refresh_secret();
                for (_, backend) in &this.mapped {
                    backend.client().refresh_secret();
                }
            })
            .await;
        }
    }
}
