//! The fuzz corpus on stable Rust, in every CI run: each seed in fuzz/corpus, and a fixed
//! number of mutations of it (bit flips, cuts, splices, repeated and dropped lines), through
//! the same entry points as the cargo-fuzz targets. Bad input must be refused with an error,
//! never a panic. cargo-fuzz explores much further with nightly (docs/testing.md).

use std::path::PathBuf;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sagescale::fuzzing::{run, Target};

const MUTATIONS_PER_SEED: usize = 150;

fn seeds(target: Target) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target.corpus());
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

fn mutate(rng: &mut StdRng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..rng.random_range(1..4) {
        let len = v.len().max(1);
        match rng.random_range(0..7) {
            0 => {
                let i = rng.random_range(0..len);
                if let Some(b) = v.get_mut(i) {
                    *b ^= 1 << rng.random_range(0..8);
                }
            }
            1 => v.truncate(rng.random_range(0..len)),
            2 => {
                let i = rng.random_range(0..len).min(v.len());
                let byte = *[
                    b'"', b'[', b']', b'{', b'}', b'=', b':', b'\n', b',', b'-', b'0', 0xff,
                ]
                .get(rng.random_range(0..12))
                .unwrap();
                v.insert(i, byte);
            }
            3 => {
                // Splice part of another seed in.
                if !other.is_empty() {
                    let a = rng.random_range(0..other.len());
                    let b = rng
                        .random_range(a..other.len().min(a + 200) + 1)
                        .min(other.len());
                    let at = rng.random_range(0..len).min(v.len());
                    v.splice(at..at, other[a..b].iter().copied());
                }
            }
            4 | 5 => {
                // Repeat or drop a line.
                let text = String::from_utf8_lossy(&v).to_string();
                let mut lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let i = rng.random_range(0..lines.len());
                    if rng.random_bool(0.5) {
                        lines.insert(i, lines[i]);
                    } else {
                        lines.remove(i);
                    }
                }
                v = lines.join("\n").into_bytes();
            }
            _ => {
                // Replace a number with an extreme one.
                let text = String::from_utf8_lossy(&v).to_string();
                if let Some(pos) = text.find(|c: char| c.is_ascii_digit()) {
                    let extreme = [
                        "-1",
                        "0",
                        "1e309",
                        "NaN",
                        "18446744073709551616",
                        "-0.0",
                        "4294967296",
                    ][rng.random_range(0..7)];
                    let end = text[pos..]
                        .find(|c: char| !c.is_ascii_digit())
                        .map_or(text.len(), |e| pos + e);
                    v = format!("{}{extreme}{}", &text[..pos], &text[end..]).into_bytes();
                }
            }
        }
    }
    v
}

fn replay(target: Target, seed: u64) -> (usize, usize) {
    let seeds = seeds(target);
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut runs, mut accepted) = (0, 0);
    for (i, (name, bytes)) in seeds.iter().enumerate() {
        let other = &seeds[(i + 1) % seeds.len()].1;
        for k in 0..=MUTATIONS_PER_SEED {
            let input = if k == 0 {
                bytes.clone()
            } else {
                mutate(&mut rng, bytes, other)
            };
            let outcome = std::panic::catch_unwind(|| run(target, &input));
            match outcome {
                Ok(ok) => accepted += usize::from(ok),
                Err(_) => panic!(
                    "{target:?} panicked on mutation {k} of {name}:\n{}",
                    String::from_utf8_lossy(&input)
                ),
            }
            runs += 1;
        }
    }
    (runs, accepted)
}

#[test]
fn the_seeds_that_are_valid_inputs_are_accepted() {
    for target in [
        Target::PolicyToml,
        Target::PolicyYaml,
        Target::Config,
        Target::StateFile,
        Target::BatchJob,
        Target::QualityValues,
    ] {
        for (name, bytes) in seeds(target) {
            assert!(run(target, &bytes), "{target:?}: seed {name} is refused");
        }
    }
    for (name, bytes) in seeds(Target::Trace(Default::default())) {
        assert!(
            run(Target::Trace(Default::default()), &bytes),
            "trace seed {name} is refused"
        );
    }
}

#[test]
fn mutated_inputs_never_panic() {
    let mut total = 0;
    for (i, target) in Target::ALL.into_iter().enumerate() {
        let (runs, accepted) = replay(target, 0x5A6E_5CA1 + i as u64);
        assert!(runs > 0);
        eprintln!("{target:?}: {runs} inputs, {accepted} accepted, none panicked");
        total += runs;
    }
    eprintln!("{total} inputs in all");
}
