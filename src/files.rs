//! Uploaded files, stored on local disk by their SHA-256 under `<data dir>/files/`.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The hex SHA-256 of some bytes: a file's name in the store.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[derive(Clone, Debug)]
pub struct FileStore {
    root: PathBuf,
    /// Fan-out directories whose entry this process has synced to disk.
    synced_dirs: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<PathBuf>>>,
}

impl FileStore {
    pub fn new(data_dir: &Path) -> FileStore {
        FileStore {
            root: data_dir.join("files"),
            synced_dirs: Default::default(),
        }
    }

    fn path_of(&self, sha256: &str) -> PathBuf {
        let (a, b) = sha256.split_at(2.min(sha256.len()));
        self.root.join(a).join(b)
    }

    /// Stores the bytes (once per content) and returns their SHA-256. The write goes to a
    /// temporary file first, so a crash never leaves a truncated blob under its hash, and
    /// is on disk (file and directory entry synced) before this returns: the event that
    /// names the file is committed only after, and must never outlive its content.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha = sha256_hex(bytes);
        let path = self.path_of(&sha);
        if tokio::fs::try_exists(&path).await? {
            return Ok(sha);
        }
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        // A fan-out directory's own entry is synced once per process (it may be new).
        let new_dir = !self.synced_dirs.lock().is_ok_and(|d| d.contains(&dir));
        if new_dir {
            tokio::fs::create_dir_all(&dir).await?;
        }
        let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4()));
        let bytes = bytes.to_vec();
        let synced = dir.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            // The rename itself, and a new fan-out directory's own entry.
            std::fs::File::open(&synced)?.sync_all()?;
            if let Some(parent) = synced.parent().filter(|_| new_dir) {
                std::fs::File::open(parent)?.sync_all()?;
            }
            Ok(())
        })
        .await
        .map_err(std::io::Error::other)??;
        if new_dir {
            if let Ok(mut d) = self.synced_dirs.lock() {
                d.insert(dir);
            }
        }
        Ok(sha)
    }

    pub async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a SHA-256",
            ));
        }
        tokio::fs::read(self.path_of(sha256)).await
    }
}
