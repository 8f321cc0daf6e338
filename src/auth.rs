//! Passwords (argon2) and bearer tokens. Neither ever enters an event: credentials and
//! sessions are plain tables, and only a token's SHA-256 is stored.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// At most this many password hashes at once: each takes argon2's 19 MiB block and a
/// core for tens of milliseconds, and freed blocks stay in the allocator's heap, so
/// unbounded parallel log-ins would grow memory and starve the order traffic.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Hashes a password; CPU-heavy, so it runs off the async threads.
pub async fn hash_password(password: String) -> Result<String, String> {
    let _permit = HASHING.acquire().await.map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Checks a password against a stored hash (false on any malformed hash).
pub async fn verify_password(password: String, hash: String) -> bool {
    let Ok(_permit) = HASHING.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
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

/// A password the service accepts: 8 to 256 characters.
pub fn check_password(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < 8 {
        Err("the password must be at least 8 characters long")
    } else if n > 256 {
        Err("the password must be at most 256 characters long")
    } else {
        Ok(())
    }
}
