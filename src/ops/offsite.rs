//! A copy of each good backup off the machine, in S3 or an S3-compatible server (`object_store`):
//! one PUT for a small file, a multipart upload in `part_size_bytes` parts for a large one, then
//! the object's size checked against the file's.

use std::{path::Path, sync::Arc, time::Duration};

use anyhow::Context;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, PutPayload, RetryConfig, WriteMultipart,
    aws::{AmazonS3, AmazonS3Builder},
    path::Path as Key,
};
use secrecy::ExposeSecret;
use tokio::io::AsyncReadExt;

use crate::config::S3Config;

/// Further attempts of a failed request (after 0.1 s, then doubling).
const RETRIES: usize = 3;
/// Parts uploaded at once in a multipart upload.
const CONCURRENT_PARTS: usize = 4;

#[derive(Clone)]
pub struct Offsite {
    store: Arc<AmazonS3>,
    bucket: String,
    prefix: String,
    part_size: usize,
}

impl std::fmt::Debug for Offsite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Offsite")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Offsite {
    /// The configured store; `None` without `backup.s3.bucket`.
    pub fn new(config: &S3Config, timeout: Duration) -> anyhow::Result<Option<Self>> {
        let Some(bucket) = &config.bucket else {
            return Ok(None);
        };
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_region(&config.region)
            .with_virtual_hosted_style_request(config.virtual_hosted_style)
            .with_client_options(ClientOptions::new().with_timeout(timeout))
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: RETRIES,
                retry_timeout: Duration::from_secs(300),
            });
        if let Some(endpoint) = &config.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let (Some(id), Some(secret)) = (&config.access_key_id, &config.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret.expose_secret());
        }
        let store = builder
            .build()
            .context("backup.s3: configuring the S3 client")?;
        Ok(Some(Self {
            store: Arc::new(store),
            bucket: bucket.clone(),
            prefix: config.prefix.clone(),
            part_size: config.part_size_bytes as usize,
        }))
    }

    /// `s3://bucket/key` of a backup file.
    pub fn location(&self, file_name: &str) -> String {
        format!("s3://{}/{}{file_name}", self.bucket, self.prefix)
    }

    /// Uploads `path` as `<prefix><file_name>` and checks the stored size; returns its location.
    pub async fn upload(&self, path: &Path, file_name: &str) -> anyhow::Result<String> {
        let key = Key::from(format!("{}{file_name}", self.prefix));
        let mut file = tokio::fs::File::open(path)
            .await
            .with_context(|| format!("opening {}", path.display()))?;
        let size = file.metadata().await?.len();
        if size <= self.part_size as u64 {
            let mut bytes = Vec::with_capacity(size as usize);
            file.read_to_end(&mut bytes).await?;
            self.store
                .put(&key, PutPayload::from(bytes))
                .await
                .context("uploading the backup")?;
        } else {
            let upload = self
                .store
                .put_multipart(&key)
                .await
                .context("starting a multipart upload")?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, self.part_size);
            let mut buf = vec![0u8; 1024 * 1024];
            loop {
                let n = file.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                writer
                    .wait_for_capacity(CONCURRENT_PARTS)
                    .await
                    .context("uploading a part of the backup")?;
                writer.write(&buf[..n]);
            }
            writer
                .finish()
                .await
                .context("finishing the multipart upload")?;
        }
        let stored = self
            .store
            .head(&key)
            .await
            .context("checking the uploaded backup")?;
        anyhow::ensure!(
            stored.size == size,
            "the uploaded object has {} bytes, the file {size}",
            stored.size
        );
        Ok(self.location(file_name))
    }
}
