#![no_main]
use libfuzzer_sys::fuzz_target;
use sagescale::fuzzing::{run, Target};

fuzz_target!(|data: &[u8]| {
    run(Target::QualityValues, data);
});
