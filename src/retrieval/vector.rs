//! Dense vector search behind one small trait, with two implementations:
//! the embedded qdrant-edge shard (default) and a Qdrant cluster over gRPC.
//! Both store the same payload and honour the same [`Filters`].

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Mutex;

use anyhow::{anyhow, Context};

use super::docs::Doc;
use super::Filters;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A document's vector with the payload filters run against.
pub struct VectorPoint {
    pub vector: Vec<f32>,
    pub payload: serde_json::Map<String, serde_json::Value>,
    pub point_id: u64,
}

impl VectorPoint {
    pub fn new(doc: &Doc, vector: Vec<f32>) -> VectorPoint {
        let payload = serde_json::json!({
            "doc_id": doc.id,
            "kind": doc.kind.as_str(),
            "merchant": doc.merchant_id,
            "category": doc.category.to_lowercase(),
            "tags": doc.tags,
            "price": doc.price_minor as f64,
            "in_stock": doc.in_stock,
        });
        let serde_json::Value::Object(payload) = payload else {
            unreachable!("json! object")
        };
        VectorPoint {
            vector,
            payload,
            point_id: Doc::point_id(&doc.id),
        }
    }
}

/// Fields filters run against, with the index type each needs.
const PAYLOAD_FIELDS: &[(&str, &str)] = &[
    ("kind", "keyword"),
    ("merchant", "keyword"),
    ("category", "keyword"),
    ("tags", "keyword"),
    ("price", "float"),
    ("in_stock", "bool"),
];

pub trait VectorStore: Send + Sync {
    /// A short name for logs and the index manifest.
    fn name(&self) -> String;
    fn upsert(&self, points: Vec<VectorPoint>) -> BoxFuture<'_, anyhow::Result<()>>;
    fn delete(&self, doc_ids: Vec<String>) -> BoxFuture<'_, anyhow::Result<()>>;
    /// Nearest documents to `vector` under `filters`, best first, as (doc id, cosine score).
    fn search<'a>(
        &'a self,
        vector: Vec<f32>,
        filters: &'a Filters,
        limit: usize,
    ) -> BoxFuture<'a, anyhow::Result<Vec<(String, f32)>>>;
    /// After a batch of writes: builds the HNSW graph once the collection is
    /// large enough to need one (a Qdrant server does this by itself).
    fn optimize(&self) -> BoxFuture<'_, anyhow::Result<()>>;
}

/// How a search walks the vectors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Walk {
    /// Every vector: perfect recall, cost linear in the collection.
    Exact,
    /// The HNSW graph where one is built, with this beam width; a collection
    /// too small for a graph is still searched in full.
    Hnsw(usize),
}

/// The beam width searches use. Measured by `errand bench retrieval
/// --catalog-scale 10` (README, Search): recall@10 against exact search.
pub const HNSW_EF: usize = 128;

// ---------------------------------------------------------------------------
// Embedded: qdrant-edge

pub mod edge {
    use super::*;
    use ordered_float::OrderedFloat;
    use qdrant_edge::{
        Condition, CreateIndex, Distance, EdgeConfigBuilder, EdgeShard, EdgeVectorParamsBuilder,
        FieldCondition, FieldIndexOperations, Filter, JsonPath, Match, NamedQuery, Payload,
        PayloadFieldSchema, PayloadSchemaType, PointId, PointInsertOperations, PointOperations,
        PointStructPersisted, QueryEnum, QueryRequest, Range, ScoringQuery, SearchParams,
        UpdateOperation, VectorInternal, VectorStructPersisted, WithPayloadInterface, WithVector,
    };

    pub struct EdgeStore {
        shard: EdgeShard,
        /// qdrant-edge 0.7 panics if `flush` runs while another thread is in
        /// `update`, so every write and flush goes through this lock.
        writes: Mutex<()>,
    }

    impl EdgeStore {
        /// Opens the shard in `dir`, creating it (with payload indexes) if absent.
        pub fn open(dir: &Path, dimensions: usize) -> anyhow::Result<EdgeStore> {
            let existing = dir.join("edge_config.json").exists();
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let shard = if existing {
                EdgeShard::load(dir, None)
                    .map_err(|e| anyhow!("loading vector shard {}: {e}", dir.display()))?
            } else {
                let config = EdgeConfigBuilder::new()
                    .vector(
                        "",
                        EdgeVectorParamsBuilder::new(dimensions, Distance::Cosine).build(),
                    )
                    .build();
                let shard = EdgeShard::new(dir, config)
                    .map_err(|e| anyhow!("creating vector shard {}: {e}", dir.display()))?;
                for (field, kind) in PAYLOAD_FIELDS {
                    let schema = match *kind {
                        "float" => PayloadSchemaType::Float,
                        "bool" => PayloadSchemaType::Bool,
                        _ => PayloadSchemaType::Keyword,
                    };
                    shard
                        .update(UpdateOperation::FieldIndexOperation(
                            FieldIndexOperations::CreateIndex(CreateIndex {
                                field_name: json_path(field),
                                field_schema: Some(PayloadFieldSchema::FieldType(schema)),
                            }),
                        ))
                        .map_err(|e| anyhow!("creating payload index {field}: {e}"))?;
                }
                shard.flush();
                shard
            };
            Ok(EdgeStore {
                shard,
                writes: Mutex::new(()),
            })
        }

        fn write(&self, op: UpdateOperation) -> anyhow::Result<()> {
            let _guard = self.writes.lock().unwrap_or_else(|p| p.into_inner());
            self.shard
                .update(op)
                .map_err(|e| anyhow!("vector store update: {e}"))?;
            // 0.7 does not replay its WAL on load: flush so an acknowledged batch is on disk.
            self.shard.flush();
            Ok(())
        }
    }

    /// Our field names are plain identifiers, always valid paths.
    fn json_path(field: &str) -> JsonPath {
        JsonPath::try_from(field).expect("payload field names are valid JSON paths")
    }

    pub(super) fn filter(filters: &Filters) -> Option<Filter> {
        let key = json_path;
        let mut must = Vec::new();
        let mut keyword = |field: &str, value: &str| {
            must.push(Condition::Field(FieldCondition::new_match(
                key(field),
                Match::from(value.to_string()),
            )));
        };
        if let Some(k) = filters.kind {
            keyword("kind", k.as_str());
        }
        if let Some(m) = &filters.merchant {
            keyword("merchant", m);
        }
        if let Some(c) = &filters.category {
            keyword("category", &c.to_lowercase());
        }
        for t in &filters.tags {
            keyword("tags", t);
        }
        if filters.in_stock {
            must.push(Condition::Field(FieldCondition::new_match(
                key("in_stock"),
                Match::from(true),
            )));
        }
        if filters.price_min.is_some() || filters.price_max.is_some() {
            let range = Range {
                lt: None,
                gt: None,
                gte: filters.price_min.map(|v| OrderedFloat(v as f64)),
                lte: filters.price_max.map(|v| OrderedFloat(v as f64)),
            };
            must.push(Condition::Field(FieldCondition::new_range(
                key("price"),
                range,
            )));
        }
        (!must.is_empty()).then(|| Filter {
            should: None,
            min_should: None,
            must: Some(must),
            must_not: None,
        })
    }

    impl VectorStore for EdgeStore {
        fn name(&self) -> String {
            // Not the path: an index folder may be copied or moved and stay valid.
            "edge".into()
        }

        fn upsert(&self, points: Vec<VectorPoint>) -> BoxFuture<'_, anyhow::Result<()>> {
            let points = points
                .into_iter()
                .map(|p| PointStructPersisted {
                    id: PointId::NumId(p.point_id),
                    vector: VectorStructPersisted::Single(p.vector),
                    payload: Some(Payload(p.payload)),
                })
                .collect();
            let op = UpdateOperation::PointOperation(PointOperations::UpsertPoints(
                PointInsertOperations::PointsList(points),
            ));
            Box::pin(async move { self.write(op) })
        }

        fn delete(&self, doc_ids: Vec<String>) -> BoxFuture<'_, anyhow::Result<()>> {
            let ids = doc_ids
                .iter()
                .map(|d| PointId::NumId(Doc::point_id(d)))
                .collect();
            Box::pin(async move {
                self.write(UpdateOperation::PointOperation(
                    PointOperations::DeletePoints { ids },
                ))
            })
        }

        fn search<'a>(
            &'a self,
            vector: Vec<f32>,
            filters: &'a Filters,
            limit: usize,
        ) -> BoxFuture<'a, anyhow::Result<Vec<(String, f32)>>> {
            Box::pin(async move { self.nearest(vector, filters, limit, Walk::Hnsw(HNSW_EF)) })
        }

        fn optimize(&self) -> BoxFuture<'_, anyhow::Result<()>> {
            Box::pin(async move {
                let _guard = self.writes.lock().unwrap_or_else(|p| p.into_inner());
                self.shard
                    .optimize()
                    .map_err(|e| anyhow!("building the vector index: {e}"))?;
                self.shard.flush();
                Ok(())
            })
        }
    }

    impl EdgeStore {
        /// [`VectorStore::search`] with the walk chosen, for measuring.
        pub fn nearest(
            &self,
            vector: Vec<f32>,
            filters: &Filters,
            limit: usize,
            walk: Walk,
        ) -> anyhow::Result<Vec<(String, f32)>> {
            {
                let request = QueryRequest {
                    prefetches: vec![],
                    query: Some(ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
                        query: VectorInternal::Dense(vector),
                        using: None,
                    }))),
                    filter: filter(filters),
                    score_threshold: None,
                    limit,
                    offset: 0,
                    params: Some(SearchParams {
                        exact: walk == Walk::Exact,
                        hnsw_ef: match walk {
                            Walk::Hnsw(ef) => Some(ef),
                            Walk::Exact => None,
                        },
                        ..Default::default()
                    }),
                    with_vector: WithVector::Bool(false),
                    with_payload: WithPayloadInterface::Fields(vec![json_path("doc_id")]),
                };
                let points = self
                    .shard
                    .query(request)
                    .map_err(|e| anyhow!("vector query: {e}"))?;
                Ok(points
                    .into_iter()
                    .filter_map(|p| {
                        let id = p.payload.as_ref()?.0.get("doc_id")?.as_str()?.to_string();
                        Some((id, p.score))
                    })
                    .collect())
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Cluster: qdrant-client

pub mod cluster {
    use super::*;
    use qdrant_client::qdrant::{
        value::Kind as ValueKind, Condition, CreateCollectionBuilder,
        CreateFieldIndexCollectionBuilder, DeletePointsBuilder, Distance, FieldType, Filter,
        PointId, PointStruct, PointsIdsList, QueryPointsBuilder, Range, UpsertPointsBuilder,
        VectorParamsBuilder,
    };
    use qdrant_client::{Payload, Qdrant};

    pub struct ClusterStore {
        client: Qdrant,
        url: String,
        collection: String,
    }

    impl ClusterStore {
        /// Connects and makes sure the collection and its payload indexes exist.
        pub async fn connect(
            url: &str,
            collection: &str,
            dimensions: usize,
        ) -> anyhow::Result<ClusterStore> {
            let client = Qdrant::from_url(url)
                .build()
                .with_context(|| format!("connecting to Qdrant at {url}"))?;
            let exists = client
                .collection_exists(collection)
                .await
                .with_context(|| format!("reaching Qdrant at {url}"))?;
            if !exists {
                client
                    .create_collection(CreateCollectionBuilder::new(collection).vectors_config(
                        VectorParamsBuilder::new(dimensions as u64, Distance::Cosine),
                    ))
                    .await
                    .context("creating collection")?;
                for (field, kind) in PAYLOAD_FIELDS {
                    let ty = match *kind {
                        "float" => FieldType::Float,
                        "bool" => FieldType::Bool,
                        _ => FieldType::Keyword,
                    };
                    client
                        .create_field_index(
                            CreateFieldIndexCollectionBuilder::new(collection, *field, ty)
                                .wait(true),
                        )
                        .await
                        .with_context(|| format!("creating payload index {field}"))?;
                }
            }
            Ok(ClusterStore {
                client,
                url: url.to_string(),
                collection: collection.to_string(),
            })
        }
    }

    fn filter(filters: &Filters) -> Option<Filter> {
        let mut must = Vec::new();
        if let Some(k) = filters.kind {
            must.push(Condition::matches("kind", k.as_str().to_string()));
        }
        if let Some(m) = &filters.merchant {
            must.push(Condition::matches("merchant", m.clone()));
        }
        if let Some(c) = &filters.category {
            must.push(Condition::matches("category", c.to_lowercase()));
        }
        for t in &filters.tags {
            must.push(Condition::matches("tags", t.clone()));
        }
        if filters.in_stock {
            must.push(Condition::matches("in_stock", true));
        }
        if filters.price_min.is_some() || filters.price_max.is_some() {
            let range = Range {
                gte: filters.price_min.map(|v| v as f64),
                lte: filters.price_max.map(|v| v as f64),
                ..Default::default()
            };
            must.push(Condition::range("price", range));
        }
        (!must.is_empty()).then(|| Filter::must(must))
    }

    impl VectorStore for ClusterStore {
        fn name(&self) -> String {
            format!("qdrant:{}/{}", self.url, self.collection)
        }

        fn upsert(&self, points: Vec<VectorPoint>) -> BoxFuture<'_, anyhow::Result<()>> {
            Box::pin(async move {
                let points: Vec<PointStruct> = points
                    .into_iter()
                    .map(|p| PointStruct::new(p.point_id, p.vector, Payload::from(p.payload)))
                    .collect();
                self.client
                    .upsert_points(UpsertPointsBuilder::new(&self.collection, points).wait(true))
                    .await
                    .context("upserting points")?;
                Ok(())
            })
        }

        fn delete(&self, doc_ids: Vec<String>) -> BoxFuture<'_, anyhow::Result<()>> {
            Box::pin(async move {
                let ids: Vec<PointId> = doc_ids
                    .iter()
                    .map(|d| PointId::from(Doc::point_id(d)))
                    .collect();
                self.client
                    .delete_points(
                        DeletePointsBuilder::new(&self.collection)
                            .points(PointsIdsList { ids })
                            .wait(true),
                    )
                    .await
                    .context("deleting points")?;
                Ok(())
            })
        }

        fn optimize(&self) -> BoxFuture<'_, anyhow::Result<()>> {
            // The server's optimizers build its HNSW graph on their own.
            Box::pin(async { Ok(()) })
        }

        fn search<'a>(
            &'a self,
            vector: Vec<f32>,
            filters: &'a Filters,
            limit: usize,
        ) -> BoxFuture<'a, anyhow::Result<Vec<(String, f32)>>> {
            Box::pin(async move {
                let mut q = QueryPointsBuilder::new(&self.collection)
                    .query(vector)
                    .limit(limit as u64)
                    .with_payload(true);
                if let Some(f) = filter(filters) {
                    q = q.filter(f);
                }
                let resp = self.client.query(q).await.context("querying Qdrant")?;
                Ok(resp
                    .result
                    .into_iter()
                    .filter_map(|p| {
                        let id = match p.payload.get("doc_id")?.kind.as_ref()? {
                            ValueKind::StringValue(s) => s.clone(),
                            _ => return None,
                        };
                        Some((id, p.score))
                    })
                    .collect())
            })
        }
    }
}
