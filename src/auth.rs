//! Passwords (argon2) and bearer tokens. Neither ever enters an event: credentials and
//! sessions are plain tables, and only a token's SHA-256 is stored.

use argon2::password_hash::{
    rand_core::OsRng, Output, ParamsString, PasswordHash, Salt, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// At most this many password hashes at once: each takes argon2's 19 MiB block and a
/// core for tens of milliseconds, so unbounded parallel log-ins would grow memory and
/// starve the order traffic.
const HASHERS: usize = 2;
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HASHERS);

/// argon2's working memory, kept between hashes (at most [`HASHERS`] of them). Allocated
/// afresh for every hash, each freed 19 MiB block stayed in the allocator's per-thread
/// heaps and the server's resident memory grew by 19 MiB a log-in, up to hundreds of MiB.
/// Reusing it is safe: argon2 overwrites every block in its first pass.
static MEMORY: std::sync::Mutex<Vec<Vec<Block>>> = std::sync::Mutex::new(Vec::new());

/// Runs `f` with `count` blocks of kept memory.
fn with_memory<T>(count: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    let kept = MEMORY.lock().map(|mut m| m.pop()).unwrap_or_default();
    let mut blocks = kept.unwrap_or_default();
    if blocks.len() < count {
        blocks.resize(count, Block::default());
    }
    let out = f(&mut blocks[..count]);
    if let Ok(mut m) = MEMORY.lock() {
        if m.len() < HASHERS {
            m.push(blocks);
        }
    }
    out
}

/// Why a password could not be hashed (never the password's fault: see [`check_password`]).
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// argon2 refused its inputs or parameters.
    #[error(transparent)]
    Argon(#[from] argon2::Error),
    /// A salt, an output or parameters that do not fit the PHC string format.
    #[error(transparent)]
    Phc(#[from] argon2::password_hash::Error),
    /// The hashing limit's semaphore was closed.
    #[error(transparent)]
    Closed(#[from] tokio::sync::AcquireError),
    /// The blocking task that hashed panicked or was cancelled.
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
}

/// The raw argon2 output of `password` under `argon` with `salt`, `len` bytes long.
fn compute(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: Salt<'_>,
    len: usize,
) -> Result<Output, HashError> {
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes)?;
    let mut out = vec![0u8; len];
    with_memory(argon.params().block_count(), |blocks| {
        argon.hash_password_into_with_memory(password, salt, &mut out, blocks)
    })?;
    Ok(Output::new(&out)?)
}

/// Hashes a password into a PHC string (argon2id, default parameters); CPU-heavy, so it
/// runs off the async threads.
pub async fn hash_password(password: String) -> Result<String, HashError> {
    let _permit = HASHING.acquire().await?;
    tokio::task::spawn_blocking(move || hash_now(&password)).await?
}

fn hash_now(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::default();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let hash = compute(&argon, password.as_bytes(), salt.as_salt(), len)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    };
    Ok(phc.to_string())
}

/// Checks a password against a stored hash (false on any malformed hash).
pub async fn verify_password(password: String, hash: String) -> bool {
    let Ok(_permit) = HASHING.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify_now(&password, &hash).unwrap_or(false))
        .await
        .unwrap_or(false)
}

fn verify_now(password: &str, hash: &str) -> Option<bool> {
    let parsed = PasswordHash::new(hash).ok()?;
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).ok()?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).ok()?;
    let expected = parsed.hash?;
    let argon = Argon2::new(algorithm, version, params);
    let actual = compute(&argon, password.as_bytes(), parsed.salt?, expected.len()).ok()?;
    // `Output`'s equality is constant-time.
    Some(actual == expected)
}

/// A new random bearer token (256 bits, hex).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Passwords of 8 characters or more that lists of leaked passwords put at the top: refused
/// whatever their case.
const COMMON_PASSWORDS: &[&str] = &[
    "12345678",
    "123456789",
    "1234567890",
    "12345678910",
    "123123123",
    "11111111",
    "00000000",
    "88888888",
    "87654321",
    "11223344",
    "12341234",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1qaz2wsx",
    "zaq12wsx",
    "qwertyui",
    "qwertyuiop",
    "qwerty123",
    "qwerty12",
    "asdfghjk",
    "asdfghjkl",
    "zxcvbnm1",
    "password",
    "password1",
    "password12",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "iloveyou",
    "iloveyou1",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "welcome123",
    "superman",
    "starwars",
    "whatever",
    "trustno1",
    "dragon123",
    "monkey123",
    "letmein1",
    "abc12345",
    "abcd1234",
    "abcdefgh",
    "aa123456",
    "qazwsxedc",
    "changeme",
    "admin123",
    "administrator",
    "computer",
    "internet",
    "michael1",
    "jennifer",
    "samsung1",
    "master12",
    "shadow12",
    "killer12",
    "1234qwer",
    "q1w2e3r4",
    "q1w2e3r4t5",
    "qwe123qwe",
    "zxcvbnm123",
    "999999999",
    "666666666",
    "parol123",
    "privet123",
    "йцукенгш",
    "пароль123",
    "qwertyqwerty",
];

/// A password the service accepts: 8 to 256 characters, and none of the most common ones.
pub fn check_password(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < 8 {
        Err("the password must be at least 8 characters long")
    } else if n > 256 {
        Err("the password must be at most 256 characters long")
    } else if COMMON_PASSWORDS.contains(&password.trim().to_lowercase().as_str())
        || password.chars().all(|c| password.starts_with(c))
    {
        Err("this password is one of the most common ones: choose another")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_long_and_common_passwords_are_refused() {
        assert!(check_password("correct horse battery").is_ok());
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(257)).is_err());
        for common in [
            "password",
            "PASSWORD1",
            "12345678",
            "qwertyuiop",
            "aaaaaaaaa",
        ] {
            assert_eq!(
                check_password(common),
                Err("this password is one of the most common ones: choose another"),
                "{common}"
            );
        }
    }
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn hashes_agree_with_the_stock_argon2_both_ways_on_reused_memory() {
        // Dirty the kept memory with other hashes first: reuse must not change a result.
        let ours = hash_now("correct horse").unwrap();
        let _ = hash_now("another password entirely").unwrap();
        let stock = Argon2::default()
            .hash_password(b"correct horse", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &PasswordHash::new(&ours).unwrap())
            .is_ok());
        assert_eq!(verify_now("correct horse", &stock), Some(true));
        assert_eq!(verify_now("correct horse", &ours), Some(true));
        assert_eq!(verify_now("correct horsf", &ours), Some(false));
        assert_eq!(verify_now("correct horse", "not a hash"), None);
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        assert!(MEMORY.lock().unwrap().len() <= HASHERS);
    }
}
