#![no_main]
use libfuzzer_sys::fuzz_target;
use sagescale::fuzzing::{run, Target};
use sagescale::sim::trace::TraceFormat;

// The first byte picks the format, so every reader is fuzzed from one corpus.
fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let format = match first % 5 {
        0 => TraceFormat::Auto,
        1 => TraceFormat::Csv,
        2 => TraceFormat::Requests,
        3 => TraceFormat::Wide,
        _ => TraceFormat::CloudwatchJson,
    };
    run(Target::Trace(format), rest);
});
