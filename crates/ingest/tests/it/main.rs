//! Readers run on the real third-party files in `../shared/data`, when present.

mod shared_artists;
