//! `models`: route names, targets, and routes that can never be reached.

use super::Ctx;
use crate::error::did_you_mean;
use crate::raw::{RawModelRoute, RawTarget};
use crate::types::{ModelPattern, ModelRoute, RouteTarget, TargetModel};
use crate::yaml::{index_path, key_path};

pub(super) fn routes(
    raw: &[(usize, RawModelRoute)],
    known_providers: &[&str],
    ctx: &mut Ctx<'_>,
) -> Vec<ModelRoute> {
    let mut out: Vec<(usize, ModelRoute)> = Vec::with_capacity(raw.len());
    for (index, route) in raw {
        let path = index_path("models", *index);
        if let Some(route) = route_one(&path, route, known_providers, ctx) {
            let name_path = key_path(&path, "name");
            if let Some((first, _)) = out.iter().find(|(_, r)| r.name == route.name) {
                ctx.error(
                    &name_path,
                    format!(
                        "duplicate model name `{}` (also models[{first}])",
                        route.name
                    ),
                );
            } else if let Some((first, earlier)) = out
                .iter()
                .find(|(_, r)| route.pattern.is_covered_by(&r.pattern))
            {
                // First match wins, so this route would never serve a call: surely a mistake.
                ctx.error(
                    &name_path,
                    format!(
                        "`{}` can never match: models[{first}] (`{}`) comes first and matches every name it would; \
                         move this route above it",
                        route.name, earlier.name
                    ),
                );
            }
            out.push((*index, route));
        }
    }
    out.into_iter().map(|(_, r)| r).collect()
}

fn route_one(
    path: &str,
    raw: &RawModelRoute,
    known: &[&str],
    ctx: &mut Ctx<'_>,
) -> Option<ModelRoute> {
    let name_path = key_path(path, "name");
    let pattern = match ModelPattern::parse(&raw.name) {
        Ok(pattern) => Some(pattern),
        Err(message) => {
            ctx.error(&name_path, format!("invalid model name: {message}"));
            None
        }
    };
    let is_pattern = matches!(pattern, Some(ModelPattern::Prefix(_)));
    let targets_path = key_path(path, "targets");
    if raw.targets.is_empty() {
        ctx.error(
            &targets_path,
            "a route needs at least one target (like `targets: [openai/gpt-4o-mini]`)",
        );
    }
    let mut targets = Vec::with_capacity(raw.targets.len());
    for (j, target) in raw.targets.iter().enumerate() {
        let tpath = index_path(&targets_path, j);
        if let Some(target) = target_one(&tpath, target, is_pattern, known, ctx) {
            targets.push(target);
        }
    }
    if let Some(description) = &raw.description
        && description.trim().is_empty()
    {
        ctx.error(
            &key_path(path, "description"),
            "is empty: remove it or write something",
        );
    }
    Some(ModelRoute {
        name: raw.name.clone(),
        pattern: pattern?,
        description: raw.description.clone(),
        translation: raw.translation,
        targets,
    })
}

fn target_one(
    path: &str,
    raw: &RawTarget,
    is_pattern: bool,
    known: &[&str],
    ctx: &mut Ctx<'_>,
) -> Option<RouteTarget> {
    // Where to point errors: the mapping form has separate fields, the shorthand is one value.
    let (provider, model, provider_path, model_path) = match raw {
        RawTarget::Short(text) => match text.split_once('/') {
            Some((provider, model)) => (provider, Some(model), path.to_owned(), path.to_owned()),
            None => (text.as_str(), None, path.to_owned(), path.to_owned()),
        },
        RawTarget::Full(full) => (
            full.provider.as_str(),
            full.model.as_deref(),
            key_path(path, "provider"),
            key_path(path, "model"),
        ),
    };
    let mut ok = true;
    if !known.contains(&provider) {
        ok = false;
        let listed = if known.is_empty() {
            "no providers are configured".to_owned()
        } else {
            format!("known: {}", known.join(", "))
        };
        ctx.error(
            &provider_path,
            format!(
                "unknown provider `{provider}` ({listed}){}",
                did_you_mean(provider, known.iter().copied())
            ),
        );
    }
    let model = match model {
        None => TargetModel::Inherit,
        Some("") => {
            ctx.error(&model_path, "the upstream model name is empty");
            return None;
        }
        Some(model) if model.chars().any(char::is_whitespace) => {
            ctx.error(
                &model_path,
                format!("upstream model `{model}` contains whitespace"),
            );
            return None;
        }
        Some(model) => match model.matches('*').count() {
            0 => TargetModel::Fixed(model.to_owned()),
            1 if is_pattern => {
                let (prefix, suffix) = model.split_once('*').unwrap_or((model, ""));
                TargetModel::Template {
                    prefix: prefix.to_owned(),
                    suffix: suffix.to_owned(),
                }
            }
            1 => {
                ctx.error(
                    &model_path,
                    format!("`{model}` uses `*`, but this route's name has no `*` to fill it with"),
                );
                return None;
            }
            _ => {
                ctx.error(
                    &model_path,
                    format!("`{model}`: an upstream model may hold at most one `*`"),
                );
                return None;
            }
        },
    };
    ok.then(|| RouteTarget {
        provider: provider.to_owned(),
        model,
    })
}
