//! Metric definitions in policy files: predefined metrics (the metric catalogue's, by
//! CloudWatch name or Application Auto Scaling alias), custom CloudWatch metrics and
//! metric-math expressions, resolved into canonical [`MetricQuery`]s.

use std::collections::{BTreeMap, HashMap};

use super::document::MetricDoc;
use sagescale_engine::Seconds;
use sagescale_files::diagnostic::child;
use sagescale_metrics::catalogue::{self, Scope};
use sagescale_metrics::{MetricId, MetricQuery, MetricStat, Statistic};

/// What a target's resource id says, for filling predefined metrics' dimensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resource {
    /// `endpoint/NAME/variant/VARIANT`
    Variant {
        /// Endpoint name.
        endpoint: String,
        /// Variant name.
        variant: String,
    },
    /// `inference-component/NAME`
    InferenceComponent {
        /// Component name.
        name: String,
    },
}

/// The longest period a single datapoint may cover here: one day.
pub const MAX_PERIOD: u32 = 86_400;

/// The deduplicated metric queries of a policy set.
#[derive(Default)]
pub struct MetricTable {
    /// Queries, indexed by [`MetricId`].
    pub queries: Vec<MetricQuery>,
    /// Periods of history each query must supply (the largest evaluation range using it).
    pub history: Vec<u32>,
    index: HashMap<String, MetricId>,
}

impl MetricTable {
    /// The id of `q`, adding it if new, and note that `periods` of history are needed.
    pub fn intern(&mut self, q: MetricQuery, periods: usize) -> MetricId {
        let key = format!("{q:?}");
        let periods = u32::try_from(periods).unwrap_or(u32::MAX);
        if let Some(&id) = self.index.get(&key) {
            let h = &mut self.history[id.index()];
            *h = (*h).max(periods);
            return id;
        }
        let id = MetricId(u32::try_from(self.queries.len()).unwrap_or(u32::MAX));
        self.queries.push(q);
        self.history.push(periods);
        self.index.insert(key, id);
        id
    }
}

/// Resolve a metric definition at `path`. Problems are `(path, message)` pairs.
pub fn resolve(
    doc: &MetricDoc,
    resource: Option<&Resource>,
    path: &str,
    errors: &mut Vec<(String, String)>,
) -> Option<MetricQuery> {
    let forms = [
        doc.predefined.is_some(),
        doc.namespace.is_some() || doc.name.is_some(),
        doc.expression.is_some(),
    ];
    if forms.iter().filter(|&&f| f).count() != 1 {
        errors.push((
            path.to_string(),
            "a metric is exactly one of: `predefined`, a custom metric (`namespace` and `name`), or an `expression` with `metrics`".into(),
        ));
        return None;
    }
    let period = doc.period.unwrap_or(60);
    if !valid_period(period) {
        errors.push((
            child(path, "period"),
            format!("period {period} s: must be 10, 30 or a multiple of 60 up to {MAX_PERIOD}"),
        ));
    }
    if let Some(expr) = &doc.expression {
        if doc.dimensions.is_some() || doc.statistic.is_some() {
            errors.push((
                path.to_string(),
                "an expression takes no `dimensions` or `statistic`: give them to its `metrics`"
                    .into(),
            ));
        }
        let inputs = doc.metrics.as_ref().filter(|m| !m.is_empty());
        let Some(inputs) = inputs else {
            errors.push((
                child(path, "metrics"),
                "an expression needs its input `metrics`, by id".into(),
            ));
            return None;
        };
        let mut resolved = Vec::new();
        for (id, m) in inputs {
            let mpath = child(&child(path, "metrics"), id);
            if !valid_id(id) {
                errors.push((mpath.clone(), format!("metric id `{id}` must start with a lowercase letter and hold only letters, digits and `_`")));
            }
            if m.expression.is_some() {
                errors.push((
                    mpath,
                    "expressions do not nest here: inputs are plain metrics".into(),
                ));
                continue;
            }
            if let Some(MetricQuery::Stat(mut s)) = resolve(m, resource, &mpath, errors) {
                s.period = Seconds(period);
                resolved.push((id.clone(), s));
            }
        }
        if let Err(e) = check_expression(expr, inputs) {
            errors.push((child(path, "expression"), e));
        }
        return Some(MetricQuery::Expression {
            expression: expr.clone(),
            period: Seconds(period),
            inputs: resolved,
        });
    }
    if doc.metrics.is_some() {
        errors.push((
            child(path, "metrics"),
            "`metrics` only goes with an `expression`".into(),
        ));
    }
    let (namespace, name, mut dimensions, default_stat, default_period) = if let Some(pre) =
        &doc.predefined
    {
        let Some(def) = catalogue::by_name(pre) else {
            let known: Vec<&str> = catalogue::names().collect();
            let hint = closest(
                pre,
                catalogue::CATALOGUE
                    .iter()
                    .flat_map(|d| std::iter::once(d.name).chain(d.aliases.iter().copied())),
            )
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
            errors.push((
                child(path, "predefined"),
                format!(
                    "unknown predefined metric `{pre}`; {hint}known: {}",
                    known.join(", ")
                ),
            ));
            return None;
        };
        if doc.namespace.is_some() || doc.name.is_some() {
            errors.push((
                path.to_string(),
                "a predefined metric takes no `namespace` or `name`".into(),
            ));
        }
        let dims = match (def.scope, resource) {
            (Scope::Variant, Some(Resource::Variant { endpoint, variant })) => {
                vec![
                    ("EndpointName".to_string(), endpoint.clone()),
                    ("VariantName".to_string(), variant.clone()),
                ]
            }
            (Scope::Endpoint, Some(Resource::Variant { endpoint, .. })) => {
                vec![("EndpointName".to_string(), endpoint.clone())]
            }
            (Scope::InferenceComponent, Some(Resource::InferenceComponent { name })) => {
                vec![("InferenceComponentName".to_string(), name.clone())]
            }
            // An invocation metric of a variant is also published per component.
            (Scope::Variant, Some(Resource::InferenceComponent { name }))
                if def.per_component() =>
            {
                vec![("InferenceComponentName".to_string(), name.clone())]
            }
            (_, None) => Vec::new(),
            (Scope::InferenceComponent, _) => {
                errors.push((child(path, "predefined"), format!("`{pre}` is an inference-component metric, but the target is an endpoint variant")));
                Vec::new()
            }
            (_, _) => {
                errors.push((
                    child(path, "predefined"),
                    format!(
                        "`{pre}` is an endpoint metric, but the target is an inference component: one publishes {}",
                        catalogue::CATALOGUE
                            .iter()
                            .filter(|d| d.scope == Scope::InferenceComponent || d.per_component())
                            .map(|d| d.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
                Vec::new()
            }
        };
        (
            def.namespace.to_string(),
            def.name.to_string(),
            dims,
            def.statistic,
            def.period,
        )
    } else {
        let ns = doc.namespace.clone().unwrap_or_default();
        let name = doc.name.clone().unwrap_or_default();
        if ns.is_empty() {
            errors.push((
                child(path, "namespace"),
                "a custom metric needs a `namespace`".into(),
            ));
        }
        if name.is_empty() {
            errors.push((child(path, "name"), "a custom metric needs a `name`".into()));
        }
        (ns, name, Vec::new(), Statistic::Average, 60)
    };
    if let Some(extra) = &doc.dimensions {
        for (k, v) in extra {
            if k.is_empty() || v.is_empty() {
                errors.push((
                    child(path, "dimensions"),
                    "dimension names and values must not be empty".into(),
                ));
            }
            dimensions.retain(|(dk, _)| dk != k);
            dimensions.push((k.clone(), v.clone()));
        }
        if extra.len() > 30 {
            errors.push((
                child(path, "dimensions"),
                "CloudWatch allows at most 30 dimensions".into(),
            ));
        }
    }
    dimensions.sort();
    let statistic = match &doc.statistic {
        None => default_stat,
        Some(s) => match Statistic::parse(s) {
            Ok(st) => st,
            Err(e) => {
                errors.push((child(path, "statistic"), e));
                default_stat
            }
        },
    };
    let period = doc.period.unwrap_or(default_period);
    Some(MetricQuery::Stat(MetricStat {
        namespace,
        name,
        dimensions,
        statistic,
        period: Seconds(period),
    }))
}

/// The candidate nearest to `word` by edit distance, if it is near enough to be a typo
/// (at most a third of its length, and never more than 4 edits).
#[must_use]
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 4);
    candidates
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// CloudWatch periods: 10 s and 30 s (high resolution) or any multiple of 60 s.
#[must_use]
pub fn valid_period(p: u32) -> bool {
    p == 10 || p == 30 || (p > 0 && p.is_multiple_of(60) && p <= MAX_PERIOD)
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Check a metric-math expression: well-formed, known functions, known ids.
fn check_expression(expr: &str, inputs: &BTreeMap<String, MetricDoc>) -> Result<(), String> {
    sagescale_metrics::expression::parse(expr, &|id| inputs.contains_key(id))
        .map(|_| ())
        .map_err(
            |e| match e.strip_suffix("is not one of this expression's metrics") {
                Some(head) => format!(
                    "{head}is not one of this expression's metrics ({})",
                    inputs.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
                None => e,
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(ids: &[&str]) -> BTreeMap<String, MetricDoc> {
        ids.iter()
            .map(|i| ((*i).to_string(), MetricDoc::default()))
            .collect()
    }

    #[test]
    fn expressions_are_checked_for_shape_functions_and_ids() {
        let ids = inputs(&["m1", "m2"]);
        assert!(check_expression("m1 / m2 * 100", &ids).is_ok());
        assert!(check_expression("IF(m2 > 0, m1 / m2, 0)", &ids).is_ok());
        assert!(check_expression("FILL(m1, 0) + -m2", &ids).is_ok());
        assert!(check_expression("m1 / m3", &ids)
            .unwrap_err()
            .contains("`m3`"));
        assert!(check_expression("BOGUS(m1)", &ids)
            .unwrap_err()
            .contains("unknown metric-math function"));
        assert!(check_expression("(m1 + m2", &ids).is_err());
        assert!(check_expression("m1 +", &ids).is_err());
        assert!(check_expression("m1 m2", &ids).is_err());
        assert!(check_expression("m1 $ 2", &ids).is_err());
    }

    #[test]
    fn predefined_metrics_take_their_dimensions_from_the_target() {
        let r = Resource::Variant {
            endpoint: "e".into(),
            variant: "v".into(),
        };
        let doc = MetricDoc {
            predefined: Some("ApproximateBacklogSizePerInstance".into()),
            ..MetricDoc::default()
        };
        let mut errors = Vec::new();
        let Some(MetricQuery::Stat(s)) = resolve(&doc, Some(&r), "m", &mut errors) else {
            panic!("{errors:?}")
        };
        assert_eq!(
            s.dimensions,
            vec![("EndpointName".to_string(), "e".to_string())]
        );
        let doc = MetricDoc {
            predefined: Some("SageMakerVariantInvocationsPerInstance".into()),
            ..MetricDoc::default()
        };
        let Some(MetricQuery::Stat(s)) = resolve(&doc, Some(&r), "m", &mut errors) else {
            panic!()
        };
        assert_eq!(
            (s.name.as_str(), s.statistic, s.dimensions.len()),
            ("InvocationsPerInstance", Statistic::Sum, 2)
        );
        assert!(errors.is_empty());
    }

    #[test]
    fn periods_follow_cloudwatch() {
        for ok in [10, 30, 60, 120, 86_400] {
            assert!(valid_period(ok), "{ok}");
        }
        for bad in [0, 5, 45, 90, 86_460] {
            assert!(!valid_period(bad), "{bad}");
        }
    }
}
