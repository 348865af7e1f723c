//! Capacity read: endpoint status and current counts from SageMaker, bounds and suspended
//! state from Application Auto Scaling.
//!
//! Per cycle, `ListEndpoints` (100 a page) gives every endpoint's status and last-modified
//! time. `DescribeEndpoint` is called only for endpoints that changed since they were last
//! described, are not `InService`, or were described longer ago than the refresh age, so a
//! steady fleet of 1,000 endpoints costs ~10 SageMaker calls a cycle, not 1,000.
//! `DescribeScalableTargets` takes 50 resource ids a call.
//!
//! An inference component is described every cycle (`DescribeInferenceComponent`); its
//! endpoint goes through the same cache as a variant's, and the endpoint config's instance
//! types are read once per config (`DescribeEndpointConfig`: configs never change). From them
//! comes the component's room: the copies its instances can hold.

use std::collections::HashMap;

use aws_sdk_applicationautoscaling::types::{ScalableDimension as AasDimension, ServiceNamespace};
use futures_util::stream::{self, StreamExt};

use super::retry::{with_retries, RetryPolicy};
use sagescale_core::{
    CallError, CallObserver, CapacityError, CopyRoom, ReadCalls, Registration, Room, TargetCapacity,
};
use sagescale_engine::{Capacity, EndpointStatus, ScalableDimension, Suspension, Timestamp};
use sagescale_policy::{parse_resource, Resource};

#[derive(Clone, Debug)]
struct Described {
    last_modified: i64,
    at: Timestamp,
    status: EndpointStatus,
    /// Variant name -> (current, desired) for each dimension sagescale scales.
    instances: HashMap<String, (Option<i32>, Option<i32>)>,
    /// Variant name -> current weight.
    weights: HashMap<String, f64>,
    concurrency: HashMap<String, (Option<i32>, Option<i32>)>,
    /// Variant name -> managed instance scaling's `MaxInstanceCount`, when it is enabled.
    managed_max: HashMap<String, i32>,
    /// The endpoint config in force.
    config: Option<String>,
}

/// Another inference component on an endpoint: its copies hold part of the instances.
#[derive(Clone, Debug)]
struct Neighbour {
    name: String,
    variant: String,
    need: Option<sagescale_instances::CopyNeed>,
    copies: Capacity,
}

/// Where an inference component runs and what one copy reserves.
#[derive(Clone, Debug)]
struct Placement {
    endpoint: String,
    variant: String,
    need: Option<sagescale_instances::CopyNeed>,
}

/// Reads capacity, caching `DescribeEndpoint` replies between changes.
#[derive(Debug, Default)]
pub struct CapacityReader {
    cache: HashMap<String, Described>,
    /// Endpoint config name -> variant name -> instance type (configs are immutable).
    configs: HashMap<String, HashMap<String, String>>,
    /// Describe again at least this often even without a change, in seconds.
    pub refresh_seconds: i64,
    /// Parallel describe calls.
    pub parallelism: usize,
}

fn status_of(s: &str) -> EndpointStatus {
    match s {
        "InService" => EndpointStatus::InService,
        "Updating" => EndpointStatus::Updating,
        "Creating" => EndpointStatus::Creating,
        _ => EndpointStatus::Other,
    }
}

/// A weight as SageMaker sent it (a float32) in the decimal it was written in: 0.1 stays 0.1,
/// not 0.10000000149, so the weights sagescale computes and logs from it stay clean.
fn weight_f64(w: f32) -> f64 {
    w.to_string().parse().unwrap_or(f64::from(w))
}

fn count(v: Option<i32>) -> Option<Capacity> {
    v.and_then(|n| Capacity::try_from(n).ok())
}

impl CapacityReader {
    /// A reader with the default refresh age (10 minutes) and 8 parallel describes.
    #[must_use]
    pub fn new() -> Self {
        Self {
            cache: HashMap::new(),
            configs: HashMap::new(),
            refresh_seconds: 600,
            parallelism: 8,
        }
    }

    /// Describe `endpoint` again on the next read, whatever `ListEndpoints` says (after
    /// sagescale changed it itself).
    pub fn forget(&mut self, endpoint: &str) {
        self.cache.remove(endpoint);
    }

    /// Read every target (`(resource_id, dimension)`), index-aligned with the input.
    pub async fn read(
        &mut self,
        sagemaker: &aws_sdk_sagemaker::Client,
        autoscaling: &aws_sdk_applicationautoscaling::Client,
        retry: &RetryPolicy,
        observer: &dyn CallObserver,
        targets: &[(String, ScalableDimension)],
        now: Timestamp,
    ) -> (Vec<Result<TargetCapacity, CapacityError>>, ReadCalls) {
        let mut calls = ReadCalls::default();
        let registrations =
            read_registrations(autoscaling, retry, observer, targets, &mut calls).await;
        // Components first: their endpoints join the variants' in the describe below.
        let mut components: HashMap<usize, Result<(TargetCapacity, Placement), CapacityError>> =
            HashMap::new();
        for (i, (id, _)) in targets.iter().enumerate() {
            if let Ok(Resource::InferenceComponent { name }) = parse_resource(id) {
                calls.describe_inference_component += 1;
                components.insert(
                    i,
                    describe_component(sagemaker, retry, observer, &name).await,
                );
            }
        }
        let mut endpoints: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, (id, _)) in targets.iter().enumerate() {
            let name = match (parse_resource(id), components.get(&i)) {
                (Ok(Resource::Variant { endpoint, .. }), _) => endpoint,
                (_, Some(Ok((_, place)))) => place.endpoint.clone(),
                _ => continue,
            };
            if seen.insert(name.clone()) {
                endpoints.push(name);
            }
        }
        let listed = if endpoints.is_empty() {
            None
        } else {
            Some(list_endpoints(sagemaker, retry, observer, &mut calls).await)
        };

        // Which endpoints to describe again.
        let mut stale: Vec<String> = Vec::new();
        if let Some(Ok(listed)) = &listed {
            for endpoint in endpoints {
                let Some(&(status, modified)) = listed.get(&endpoint) else {
                    self.cache.remove(&endpoint);
                    continue;
                };
                let fresh = self.cache.get(&endpoint).is_some_and(|d| {
                    d.last_modified == modified
                        && d.status == status
                        && status == EndpointStatus::InService
                        && now.since(d.at) < self.refresh_seconds
                });
                if !fresh {
                    stale.push(endpoint);
                }
            }
        }
        let described: Vec<(String, Result<Described, CallError>)> = stream::iter(stale)
            .map(|name| async move {
                let r = describe_endpoint(sagemaker, retry, observer, &name, now).await;
                (name, r)
            })
            .buffer_unordered(self.parallelism.max(1))
            .collect()
            .await;
        let mut describe_errors: HashMap<String, CallError> = HashMap::new();
        for (name, r) in described {
            calls.describe_endpoint += 1;
            match r {
                Ok(d) => {
                    self.cache.insert(name, d);
                }
                Err(e) => {
                    self.cache.remove(&name);
                    describe_errors.insert(name, e);
                }
            }
        }

        let mut wanted: Vec<String> = Vec::new();
        for place in components.values().flatten().map(|(_, p)| p) {
            if let Some(config) = self
                .cache
                .get(&place.endpoint)
                .and_then(|d| d.config.clone())
            {
                if !self.configs.contains_key(&config) && !wanted.contains(&config) {
                    wanted.push(config);
                }
            }
        }
        for config in wanted {
            calls.describe_endpoint_config += 1;
            match describe_config(sagemaker, retry, observer, &config).await {
                Ok(types) => {
                    self.configs.insert(config, types);
                }
                Err(error) => {
                    tracing::warn!(endpoint_config = %config, %error, "DescribeEndpointConfig failed: the copies its instances hold are not known this cycle, so the copy count is not capped");
                }
            }
        }

        // The other components on each component's endpoint: their reservations share its
        // instances. The policy set's own were described above; the rest are described here.
        let mut neighbours: HashMap<String, Option<Vec<Neighbour>>> = HashMap::new();
        let own: HashMap<String, usize> = components
            .keys()
            .filter_map(|&i| match parse_resource(&targets[i].0) {
                Ok(Resource::InferenceComponent { name }) => Some((name, i)),
                _ => None,
            })
            .collect();
        let on: Vec<String> = {
            let mut v: Vec<String> = components
                .values()
                .flatten()
                .map(|(_, p)| p.endpoint.clone())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        for endpoint in on {
            let listed = list_components(sagemaker, retry, observer, &endpoint, &mut calls).await;
            let found = match listed {
                Ok(names) => {
                    let mut found = Vec::with_capacity(names.len());
                    for name in names {
                        let described = match own.get(&name).and_then(|i| components.get(i)) {
                            Some(Ok(d)) => Some(d.clone()),
                            Some(Err(_)) => None,
                            None => {
                                calls.describe_inference_component += 1;
                                describe_component(sagemaker, retry, observer, &name)
                                    .await
                                    .map_err(|error| tracing::warn!(component = %name, %error, "cannot describe a neighbouring inference component: the room of its neighbours leaves its copies out"))
                                    .ok()
                            }
                        };
                        if let Some((cap, place)) = described {
                            found.push(Neighbour {
                                name,
                                variant: place.variant,
                                need: place.need,
                                copies: cap.current.max(cap.desired),
                            });
                        }
                    }
                    Some(found)
                }
                Err(error) => {
                    tracing::warn!(endpoint = %endpoint, %error, "ListInferenceComponents failed: the room of its components is worked out as if each had the instances to itself");
                    None
                }
            };
            neighbours.insert(endpoint, found);
        }

        let mut out = Vec::with_capacity(targets.len());
        for (i, (id, dim)) in targets.iter().enumerate() {
            let registration = match &registrations {
                Ok(map) => map.get(id.as_str()).copied(),
                Err(e) => {
                    out.push(Err(CapacityError::Call {
                        operation: "DescribeScalableTargets",
                        error: e.clone(),
                    }));
                    continue;
                }
            };
            let r = match parse_resource(id) {
                Err(e) => Err(CapacityError::BadReply(e)),
                Ok(Resource::InferenceComponent { name }) => match components.remove(&i) {
                    Some(Ok((mut cap, place))) => {
                        let beside = neighbours.get(&place.endpoint).map(|n| {
                            n.as_deref().map(|n| {
                                n.iter()
                                    .filter(|o| o.name != name && o.variant == place.variant)
                                    .collect::<Vec<_>>()
                            })
                        });
                        cap.room = Some(self.room(&place, beside.flatten().as_deref()));
                        Ok(cap)
                    }
                    Some(Err(e)) => Err(e),
                    None => Err(CapacityError::BadReply(format!("`{id}` was not described"))),
                },
                Ok(Resource::Variant { endpoint, variant }) => match &listed {
                    Some(Err(e)) => Err(CapacityError::Call {
                        operation: "ListEndpoints",
                        error: e.clone(),
                    }),
                    _ => self.variant(&endpoint, &variant, *dim, &describe_errors),
                },
            };
            out.push(r.map(|mut c| {
                c.registration = registration;
                c
            }));
        }
        (out, calls)
    }

    /// The copies `place`'s instances hold, from the endpoint and its config as cached.
    fn room(&self, place: &Placement, beside: Option<&[&Neighbour]>) -> Room {
        let Some(need) = place.need else {
            return Room::Unknown(
                "the component states no ComputeResourceRequirements (an adapter shares its base component's)",
            );
        };
        let Some(d) = self.cache.get(&place.endpoint) else {
            return Room::Unknown("its endpoint could not be described this cycle");
        };
        let Some(types) = d.config.as_ref().and_then(|c| self.configs.get(c)) else {
            return Room::Unknown("its endpoint config could not be described this cycle");
        };
        let Some(name) = types.get(&place.variant) else {
            return Room::Unknown("its endpoint config has no such variant");
        };
        let Some(t) = sagescale_instances::instance_type(name) else {
            tracing::warn!(instance_type = %name, "an inference component's instance type is not in sagescale's instance table: its copies are not capped");
            return Room::Unknown(
                "its instance type is not in sagescale's instance table (crates/instances)",
            );
        };
        let (instances, managed) = match d.managed_max.get(&place.variant) {
            Some(&max) => (max, true),
            None => match d.instances.get(&place.variant) {
                Some(&(Some(n), _)) => (n, false),
                _ => return Room::Unknown("its variant reports no instance count"),
            },
        };
        let instances = u32::try_from(instances).unwrap_or(0);
        let (per_instance, _) = t.copies_fit(&need);
        let others: Vec<(sagescale_instances::CopyNeed, u32)> = beside
            .unwrap_or_default()
            .iter()
            .filter_map(|o| Some((o.need?, o.copies)))
            .collect();
        let (copies, limit) = t.copies_fit_beside(instances, &need, &others);
        Room::Known(CopyRoom {
            copies,
            per_instance,
            instances,
            managed,
            instance_type: t.name,
            limit: limit.name(),
            others: beside.map(|b| {
                (
                    u32::try_from(b.len()).unwrap_or(u32::MAX),
                    b.iter().map(|o| o.copies).sum(),
                )
            }),
        })
    }

    fn variant(
        &self,
        endpoint: &str,
        variant: &str,
        dim: ScalableDimension,
        errors: &HashMap<String, CallError>,
    ) -> Result<TargetCapacity, CapacityError> {
        if let Some(e) = errors.get(endpoint) {
            return Err(CapacityError::Call {
                operation: "DescribeEndpoint",
                error: e.clone(),
            });
        }
        let d = self.cache.get(endpoint).ok_or_else(|| {
            CapacityError::NotFound(format!("endpoint `{endpoint}` does not exist"))
        })?;
        let table = if dim == ScalableDimension::ProvisionedConcurrency {
            &d.concurrency
        } else {
            &d.instances
        };
        let &(current, desired) = table.get(variant).ok_or_else(|| {
            CapacityError::NotFound(format!(
                "endpoint `{endpoint}` has no variant `{variant}` with {}",
                dim.aws_name()
            ))
        })?;
        let current = count(current).ok_or_else(|| {
            CapacityError::BadReply(format!(
                "DescribeEndpoint `{endpoint}` gave no current capacity for variant `{variant}`"
            ))
        })?;
        Ok(TargetCapacity {
            status: d.status,
            current,
            desired: count(desired).unwrap_or(current),
            registration: None,
            weight: d.weights.get(variant).copied(),
            room: None,
        })
    }
}

async fn list_endpoints(
    client: &aws_sdk_sagemaker::Client,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    calls: &mut ReadCalls,
) -> Result<HashMap<String, (EndpointStatus, i64)>, CallError> {
    let mut out = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = with_retries(retry, observer, "sagemaker", "ListEndpoints", || {
            client
                .list_endpoints()
                .max_results(100)
                .set_next_token(token.clone())
                .send()
        })
        .await?;
        calls.list_endpoints += 1;
        for e in page.endpoints() {
            let modified = e
                .last_modified_time()
                .map_or(0, |t| t.as_nanos() as i64 / 1_000);
            let Some(name) = e.endpoint_name() else {
                continue;
            };
            let status = e
                .endpoint_status()
                .map_or(EndpointStatus::Other, |s| status_of(s.as_str()));
            out.insert(name.to_string(), (status, modified));
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

async fn describe_endpoint(
    client: &aws_sdk_sagemaker::Client,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    name: &str,
    now: Timestamp,
) -> Result<Described, CallError> {
    let e = with_retries(retry, observer, "sagemaker", "DescribeEndpoint", || {
        client.describe_endpoint().endpoint_name(name).send()
    })
    .await?;
    let mut instances = HashMap::new();
    let mut concurrency = HashMap::new();
    let mut weights = HashMap::new();
    let mut managed_max = HashMap::new();
    for v in e.production_variants() {
        let name = v.variant_name().unwrap_or_default().to_string();
        if let Some(m) = v.managed_instance_scaling() {
            let on = m.status().is_some_and(|s| s.as_str() == "ENABLED");
            if let (true, Some(max)) = (on, m.max_instance_count()) {
                managed_max.insert(name.clone(), max);
            }
        }
        if let Some(w) = v.current_weight().or(v.desired_weight()) {
            weights.insert(name.clone(), weight_f64(w));
        }
        instances.insert(
            name.clone(),
            (v.current_instance_count(), v.desired_instance_count()),
        );
        let pc = |c: Option<&aws_sdk_sagemaker::types::ProductionVariantServerlessConfig>| {
            c.and_then(|c| c.provisioned_concurrency())
        };
        concurrency.insert(
            name,
            (
                pc(v.current_serverless_config()),
                pc(v.desired_serverless_config()),
            ),
        );
    }
    Ok(Described {
        last_modified: e
            .last_modified_time()
            .map_or(0, |t| t.as_nanos() as i64 / 1_000),
        at: now,
        status: e
            .endpoint_status()
            .map_or(EndpointStatus::Other, |s| status_of(s.as_str())),
        instances,
        weights,
        concurrency,
        managed_max,
        config: e.endpoint_config_name().map(str::to_string),
    })
}

/// The inference components on `endpoint`, by name (`ListInferenceComponents`, 100 a page).
async fn list_components(
    client: &aws_sdk_sagemaker::Client,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    endpoint: &str,
    calls: &mut ReadCalls,
) -> Result<Vec<String>, CallError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = with_retries(
            retry,
            observer,
            "sagemaker",
            "ListInferenceComponents",
            || {
                client
                    .list_inference_components()
                    .endpoint_name_equals(endpoint)
                    .max_results(100)
                    .set_next_token(token.clone())
                    .send()
            },
        )
        .await?;
        calls.list_inference_components += 1;
        out.extend(
            page.inference_components()
                .iter()
                .filter_map(|c| c.inference_component_name().map(str::to_string)),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// Variant name -> instance type, from `DescribeEndpointConfig`.
async fn describe_config(
    client: &aws_sdk_sagemaker::Client,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    name: &str,
) -> Result<HashMap<String, String>, CallError> {
    let c = with_retries(
        retry,
        observer,
        "sagemaker",
        "DescribeEndpointConfig",
        || {
            client
                .describe_endpoint_config()
                .endpoint_config_name(name)
                .send()
        },
    )
    .await?;
    Ok(c.production_variants()
        .iter()
        .filter_map(|v| {
            Some((
                v.variant_name()?.to_string(),
                v.instance_type()?.as_str().to_string(),
            ))
        })
        .collect())
}

async fn describe_component(
    client: &aws_sdk_sagemaker::Client,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    name: &str,
) -> Result<(TargetCapacity, Placement), CapacityError> {
    let c = with_retries(
        retry,
        observer,
        "sagemaker",
        "DescribeInferenceComponent",
        || {
            client
                .describe_inference_component()
                .inference_component_name(name)
                .send()
        },
    )
    .await
    .map_err(|error| CapacityError::Call {
        operation: "DescribeInferenceComponent",
        error,
    })?;
    let rc = c.runtime_config();
    let current = count(rc.and_then(|r| r.current_copy_count())).ok_or_else(|| {
        CapacityError::BadReply(format!(
            "DescribeInferenceComponent `{name}` gave no current copy count"
        ))
    })?;
    let need = c
        .specification()
        .and_then(|s| s.compute_resource_requirements())
        .and_then(|r| {
            Some(sagescale_instances::CopyNeed {
                accelerators: r
                    .number_of_accelerator_devices_required()
                    .map_or(0.0, f64::from),
                cpu_cores: r.number_of_cpu_cores_required().map_or(0.0, f64::from),
                memory_mib: f64::from(r.min_memory_required_in_mb()?),
            })
        });
    let place = Placement {
        endpoint: c.endpoint_name().unwrap_or_default().to_string(),
        variant: c.variant_name().unwrap_or_default().to_string(),
        need,
    };
    let cap = TargetCapacity {
        status: c
            .inference_component_status()
            .map_or(EndpointStatus::Other, |s| status_of(s.as_str())),
        current,
        desired: count(rc.and_then(|r| r.desired_copy_count())).unwrap_or(current),
        registration: None,
        weight: None,
        room: None,
    };
    Ok((cap, place))
}

async fn read_registrations<'a>(
    client: &aws_sdk_applicationautoscaling::Client,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    targets: &'a [(String, ScalableDimension)],
    calls: &mut ReadCalls,
) -> Result<HashMap<&'a str, Registration>, CallError> {
    let mut out = HashMap::new();
    let ids: Vec<&str> = targets.iter().map(|(id, _)| id.as_str()).collect();
    let wanted: HashMap<&str, &'a str> = targets
        .iter()
        .map(|(id, dim)| (id.as_str(), dim.aws_name()))
        .collect();
    for chunk in ids.chunks(50) {
        let mut token: Option<String> = None;
        loop {
            let page = with_retries(
                retry,
                observer,
                "application_autoscaling",
                "DescribeScalableTargets",
                || {
                    client
                        .describe_scalable_targets()
                        .service_namespace(ServiceNamespace::Sagemaker)
                        .set_resource_ids(Some(chunk.iter().map(|s| (*s).to_string()).collect()))
                        .set_next_token(token.clone())
                        .send()
                },
            )
            .await?;
            calls.describe_scalable_targets += 1;
            for t in page.scalable_targets() {
                let Some((&id, _)) = wanted
                    .get_key_value(t.resource_id())
                    .filter(|(_, dim)| AasDimension::from(**dim) == *t.scalable_dimension())
                else {
                    continue;
                };
                let s = t.suspended_state();
                out.insert(
                    id,
                    Registration {
                        min: Capacity::try_from(t.min_capacity()).unwrap_or(0),
                        max: Capacity::try_from(t.max_capacity()).unwrap_or(0),
                        suspended: Suspension {
                            scale_in: s
                                .and_then(|s| s.dynamic_scaling_in_suspended())
                                .unwrap_or(false),
                            scale_out: s
                                .and_then(|s| s.dynamic_scaling_out_suspended())
                                .unwrap_or(false),
                            scheduled: s
                                .and_then(|s| s.scheduled_scaling_suspended())
                                .unwrap_or(false),
                        },
                    },
                );
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sagescale_instances::CopyNeed;

    fn reader(instance_type: &str, managed_max: Option<i32>, instances: i32) -> CapacityReader {
        let mut r = CapacityReader::new();
        r.cache.insert(
            "e".into(),
            Described {
                last_modified: 0,
                at: Timestamp(0),
                status: EndpointStatus::InService,
                instances: HashMap::from([("v".to_string(), (Some(instances), Some(instances)))]),
                weights: HashMap::new(),
                concurrency: HashMap::new(),
                managed_max: managed_max
                    .map(|m| HashMap::from([("v".to_string(), m)]))
                    .unwrap_or_default(),
                config: Some("c".into()),
            },
        );
        r.configs.insert(
            "c".into(),
            HashMap::from([("v".to_string(), instance_type.to_string())]),
        );
        r
    }

    fn place(need: Option<CopyNeed>) -> Placement {
        Placement {
            endpoint: "e".into(),
            variant: "v".into(),
            need,
        }
    }

    const ONE_GPU: CopyNeed = CopyNeed {
        accelerators: 1.0,
        cpu_cores: 0.0,
        memory_mib: 8192.0,
    };

    fn neighbour(copies: Capacity) -> Neighbour {
        Neighbour {
            name: "other".into(),
            variant: "v".into(),
            need: Some(ONE_GPU),
            copies,
        }
    }

    #[test]
    fn the_room_follows_managed_instance_scaling_or_the_instance_count() {
        // Managed instance scaling up to 3 of 4-GPU instances: 12 copies, whatever runs now.
        let r = reader("ml.g5.12xlarge", Some(3), 1);
        let Room::Known(k) = r.room(&place(Some(ONE_GPU)), Some(&[])) else {
            panic!("known")
        };
        assert_eq!(
            (k.copies, k.per_instance, k.instances, k.managed),
            (12, 4, 3, true)
        );
        // Off: the 2 instances running now are all there is.
        let r = reader("ml.g5.12xlarge", None, 2);
        assert_eq!(r.room(&place(Some(ONE_GPU)), Some(&[])).copies(), Some(8));
        // A neighbour's 5 copies take 5 of the 8 GPUs.
        let n = neighbour(5);
        assert_eq!(r.room(&place(Some(ONE_GPU)), Some(&[&n])).copies(), Some(3));
        // Neighbours not listed: the room alone, said as such.
        let Room::Known(k) = r.room(&place(Some(ONE_GPU)), None) else {
            panic!("known")
        };
        assert_eq!((k.copies, k.others), (8, None));
        assert!(k.to_string().contains("could not be listed"), "{k}");
    }

    #[test]
    fn an_unknown_room_says_why_and_caps_nothing() {
        let r = reader("ml.g5.12xlarge", Some(3), 1);
        let why = |room: Room| match room {
            Room::Unknown(w) => w,
            Room::Known(k) => panic!("{k}"),
        };
        assert!(why(r.room(&place(None), None)).contains("ComputeResourceRequirements"));
        let odd = reader("ml.x99.huge", Some(3), 1);
        assert!(why(odd.room(&place(Some(ONE_GPU)), None)).contains("instance table"));
        let elsewhere = Placement {
            endpoint: "gone".into(),
            ..place(Some(ONE_GPU))
        };
        assert!(why(r.room(&elsewhere, None)).contains("could not be described"));
        assert_eq!(Room::Unknown("x").copies(), None);
    }
}
