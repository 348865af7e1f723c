#![no_main]
use libfuzzer_sys::fuzz_target;
use sagescale_sim::trace::TraceFormat;

fuzz_target!(|data: &[u8]| {
    for format in [
        TraceFormat::Auto,
        TraceFormat::Csv,
        TraceFormat::Requests,
        TraceFormat::Wide,
        TraceFormat::CloudwatchJson,
    ] {
        sagescale_sim::fuzzing::trace(data, format);
    }
});
