//! The configuration in force: one immutable snapshot of the validated configuration and
//! everything built from it (route table, key index, provider clients). A reload builds a new
//! snapshot in full and swaps it whole; requests keep the snapshot they started with.

use std::collections::HashMap;
use std::sync::Arc;

use portcullis_config::{Config, ModelPattern, RouteTarget, TranslationMode};
use portcullis_policy::authn::KeyIndex;
use portcullis_providers::Provider;

/// The configuration in force and what was built from it.
#[derive(Debug)]
pub struct Snapshot {
    /// Increases by one with every successful load (1 = the configuration loaded at start).
    pub generation: u64,
    pub config: Arc<Config>,
    pub keys: KeyIndex,
    pub routes: RouteTable,
    /// SHA-256 of the admin token, when the admin API is enabled.
    pub admin_token_hash: Option<[u8; 32]>,
}

impl Snapshot {
    /// Builds everything the data plane needs from a validated configuration. Fails (with every
    /// problem found) only on what validation cannot see, such as a TLS setup error.
    pub fn build(config: Config, generation: u64) -> Result<Snapshot, Vec<String>> {
        let mut errors = Vec::new();
        let mut providers: HashMap<&str, Arc<Provider>> = HashMap::new();
        for provider in &config.providers {
            match Provider::build(provider) {
                Ok(p) => {
                    providers.insert(provider.name.as_str(), Arc::new(p));
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        let mut routes = Vec::with_capacity(config.models.len());
        for (i, model) in config.models.iter().enumerate() {
            let mut targets = Vec::with_capacity(model.targets.len());
            for (j, target) in model.targets.iter().enumerate() {
                match providers.get(target.provider.as_str()) {
                    Some(provider) => targets.push(Target {
                        provider: provider.clone(),
                        config: target.clone(),
                    }),
                    None => errors.push(format!(
                        "models[{i}].targets[{j}].provider: unknown provider {:?}",
                        target.provider
                    )),
                }
            }
            routes.push(Route {
                name: Arc::from(model.name.as_str()),
                pattern: model.pattern.clone(),
                description: model.description.clone(),
                translation: model.translation.unwrap_or(config.translation),
                targets,
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let admin_token_hash = config
            .admin
            .token
            .as_ref()
            .map(|t| portcullis_config::hash_api_key(t.expose()));
        Ok(Snapshot {
            generation,
            keys: KeyIndex::new(&config.api_keys),
            routes: RouteTable::new(routes),
            admin_token_hash,
            config: Arc::new(config),
        })
    }
}

/// Public model names → routes. Exact names are found by hash; patterns are tried in file order.
#[derive(Debug)]
pub struct RouteTable {
    routes: Vec<Route>,
    exact: HashMap<String, usize>,
    /// Indexes of pattern routes, in file order.
    patterns: Vec<usize>,
}

/// One public model name (or pattern) and the targets that serve it.
#[derive(Debug)]
pub struct Route {
    pub name: Arc<str>,
    pub pattern: ModelPattern,
    pub description: Option<String>,
    pub translation: TranslationMode,
    pub targets: Vec<Target>,
}

/// A provider and the upstream model it is asked for.
#[derive(Debug)]
pub struct Target {
    pub provider: Arc<Provider>,
    config: RouteTarget,
}

impl Target {
    /// The upstream model for a call that asked for `requested`, `captured` being the part a
    /// pattern route's `*` matched.
    pub fn upstream_model(&self, requested: &str, captured: Option<&str>) -> String {
        self.config.upstream_model(requested, captured)
    }
}

/// A route matched by a requested model name.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    pub route: &'a Route,
    /// What the pattern's `*` matched (pattern routes only).
    pub captured: Option<&'a str>,
}

impl RouteTable {
    fn new(routes: Vec<Route>) -> RouteTable {
        let mut exact = HashMap::new();
        let mut patterns = Vec::new();
        for (i, route) in routes.iter().enumerate() {
            match &route.pattern {
                ModelPattern::Exact(name) => {
                    // The first declaration of a name wins, as in file order.
                    exact.entry(name.clone()).or_insert(i);
                }
                ModelPattern::Prefix(_) => patterns.push(i),
            }
        }
        RouteTable {
            routes,
            exact,
            patterns,
        }
    }

    /// The first route, in file order, that matches `model`.
    pub fn resolve<'a>(&'a self, model: &'a str) -> Option<Resolved<'a>> {
        let exact = self.exact.get(model).copied();
        let pattern = self
            .patterns
            .iter()
            .copied()
            .take_while(|&i| exact.is_none_or(|e| i < e))
            .find_map(|i| {
                self.routes[i]
                    .pattern
                    .matches(model)
                    .map(|captured| (i, captured))
            });
        match (pattern, exact) {
            (Some((i, captured)), _) => Some(Resolved {
                route: &self.routes[i],
                captured,
            }),
            (None, Some(e)) => Some(Resolved {
                route: &self.routes[e],
                captured: None,
            }),
            (None, None) => None,
        }
    }

    /// Every route, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter()
    }
}
