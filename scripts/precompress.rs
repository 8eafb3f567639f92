//! The build script (Cargo.toml `build`): precompresses the pages' static files (static/*) with gzip at the highest level, so the binary
//! carries both forms and serves the small one to browsers that accept it, without compressing
//! anything at run time (src/web/pages/assets.rs). flate2 is a build dependency only.

use std::io::Write;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=static");
    let out = std::env::var("OUT_DIR")?;
    for entry in std::fs::read_dir("static")? {
        let path = entry?.path();
        if !path.is_file() {
            continue;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&std::fs::read(&path)?)?;
        std::fs::write(Path::new(&out).join(format!("{name}.gz")), gz.finish()?)?;
    }
    Ok(())
}
