#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sagescale_daemon::fuzzing::state_file(data);
});
