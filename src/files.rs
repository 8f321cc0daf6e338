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

/// A type of upload the service takes, told by the bytes, never by the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileType {
    /// The extension a stored name gets.
    pub extension: &'static str,
    pub content_type: &'static str,
}

const PDF: FileType = FileType {
    extension: "pdf",
    content_type: "application/pdf",
};
const DOC: FileType = FileType {
    extension: "doc",
    content_type: "application/msword",
};
const DOCX: FileType = FileType {
    extension: "docx",
    content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
};
const ODT: FileType = FileType {
    extension: "odt",
    content_type: "application/vnd.oasis.opendocument.text",
};
const RTF: FileType = FileType {
    extension: "rtf",
    content_type: "application/rtf",
};
const ZIP: FileType = FileType {
    extension: "zip",
    content_type: "application/zip",
};
const TXT: FileType = FileType {
    extension: "txt",
    content_type: "text/plain; charset=utf-8",
};

/// The types taken, for messages: pdf, docx, doc, odt, rtf, txt, zip.
pub const ACCEPTED: &str = "pdf, docx, doc, odt, rtf, txt or zip";

/// The type of an upload by its content: PDF (`%PDF-`), Word 97–2003 (OLE2), RTF
/// (`{\rtf`), a ZIP archive (`PK\x03\x04`, or an empty one), which is an OpenDocument text
/// when its first entry is `mimetype` naming one and a Word document when it holds
/// `[Content_Types].xml` and `word/`; else UTF-8 text without NUL bytes; else `None`.
pub fn detect(bytes: &[u8]) -> Option<FileType> {
    const OLE2: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(b"%PDF-") {
        Some(PDF)
    } else if bytes.starts_with(OLE2) {
        Some(DOC)
    } else if bytes.starts_with(b"{\\rtf") {
        Some(RTF)
    } else if bytes.starts_with(b"PK\x03\x04") {
        Some(zip_kind(bytes))
    } else if bytes.starts_with(b"PK\x05\x06") {
        Some(ZIP)
    } else if !bytes.is_empty() && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() {
        Some(TXT)
    } else {
        None
    }
}

/// Which kind of ZIP archive: OpenDocument text, Word, or any other.
fn zip_kind(bytes: &[u8]) -> FileType {
    // The first local header: its name at 30, its data after the name and extra field.
    let u16_at = |i: usize| {
        bytes
            .get(i..i + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    if let (Some(name_len), Some(extra_len)) = (u16_at(26), u16_at(28)) {
        let name = bytes.get(30..30 + name_len);
        let data = 30 + name_len + extra_len;
        if name == Some(b"mimetype".as_slice())
            && bytes
                .get(data..)
                .is_some_and(|d| d.starts_with(ODT.content_type.as_bytes()))
        {
            return ODT;
        }
    }
    let holds = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    if holds(b"[Content_Types].xml") && holds(b"word/") {
        DOCX
    } else {
        ZIP
    }
}

/// The name a stored upload keeps: the client's name without any folder, control
/// character or extension, at most 100 characters, with the extension of its detected
/// type. Only a label: files are stored by content hash, never under this name.
pub fn stored_name(client_name: &str, kind: FileType) -> String {
    let base = client_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim().trim_matches('.');
    let stem = match clean.rsplit_once('.') {
        Some((stem, _)) if !stem.trim().is_empty() => stem.trim(),
        _ => clean,
    };
    let stem: String = stem.chars().take(100).collect();
    let stem = if stem.trim_matches('.').trim().is_empty() {
        "upload".to_string()
    } else {
        stem
    };
    format!("{stem}.{}", kind.extension)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_told_by_content() {
        assert_eq!(detect(b"%PDF-1.7\n\xff\x00"), Some(PDF));
        assert_eq!(
            detect(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]),
            Some(DOC)
        );
        assert_eq!(detect(b"{\\rtf1\\ansi hello}"), Some(RTF));
        assert_eq!(detect("plain текст\n".as_bytes()), Some(TXT));
        assert_eq!(detect(b"text with a \0 NUL"), None);
        assert_eq!(detect(b"\xff\xfe not utf-8"), None);
        assert_eq!(detect(b"MZ\x90\x00 an executable"), None);
        assert_eq!(detect(b""), None);
        let mut odt = b"PK\x03\x04".to_vec();
        odt.extend_from_slice(&[0; 22]);
        odt.extend_from_slice(&8u16.to_le_bytes());
        odt.extend_from_slice(&0u16.to_le_bytes());
        odt.extend_from_slice(b"mimetypeapplication/vnd.oasis.opendocument.text");
        assert_eq!(detect(&odt), Some(ODT));
        assert_eq!(
            detect(b"PK\x03\x04....[Content_Types].xml....word/document.xml"),
            Some(DOCX)
        );
        assert_eq!(detect(b"PK\x03\x04 anything else"), Some(ZIP));
        assert_eq!(detect(b"PK\x03\x04"), Some(ZIP));
    }

    #[test]
    fn stored_names_follow_the_type_and_carry_no_path() {
        assert_eq!(stored_name("work.exe", PDF), "work.pdf");
        assert_eq!(stored_name("../../etc/passwd", TXT), "passwd.txt");
        assert_eq!(stored_name("..\\x.pdf", PDF), "x.pdf");
        assert_eq!(stored_name("a\0b.pdf", PDF), "ab.pdf");
        assert_eq!(stored_name("..", ZIP), "upload.zip");
        assert_eq!(stored_name("", ZIP), "upload.zip");
        assert_eq!(stored_name("report.final.docx", DOCX), "report.final.docx");
        assert_eq!(stored_name(&"я".repeat(300), TXT).chars().count(), 104);
    }
}
