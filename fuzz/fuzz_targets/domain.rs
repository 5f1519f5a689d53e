#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| odoo_mesh_fuzz::domain(data));
