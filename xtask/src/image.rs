//! `cargo xtask image [--sample-api]`: the container image `mock-idp:local`, built without
//! pulling anything.
//!
//! The root `Dockerfile` builds the binary in a `rust` image, which needs a registry. Here the
//! same cargo command runs on this machine instead, and the Dockerfile's final stage (read from
//! the file, so the two cannot drift) is built around that binary in an otherwise empty
//! context. `--sample-api` also builds `sample-api:local` the same way: the app container of
//! the compose recipe and of the container suite.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian's CA bundle (package ca-certificates), copied into sample-api's image.
const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The tags the container suite and the README use.
pub(crate) const MOCK_IDP_IMAGE: &str = "mock-idp:local";
pub(crate) const SAMPLE_API_IMAGE: &str = "sample-api:local";

/// sample-api's image: the same shape as mock-idp's final stage, plus the CA bundle its
/// HTTP client insists on loading (it would fetch an HTTPS JWKS from a real Auth0 tenant).
const SAMPLE_API_STAGE: &str = "FROM scratch
COPY sample-api /sample-api
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
USER 65532:65532
ENV HOST=0.0.0.0
EXPOSE 3001
ENTRYPOINT [\"/sample-api\"]
";

pub(crate) fn image(root: &Path, args: &[String]) -> Result<(), String> {
    let with_sample_api = match args {
        [] => false,
        [flag] if flag == "--sample-api" => true,
        _ => return Err("usage: cargo xtask image [--sample-api]".into()),
    };
    let mut packages = vec!["mock-idp"];
    if with_sample_api {
        packages.push("sample-api");
    }
    let binaries = build_static(root, &packages)?;
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile"))
        .map_err(|e| format!("cannot read Dockerfile: {e}"))?;
    let stage = final_stage(&dockerfile, "mock-idp")?;
    docker_build(root, &binaries[0], &[], &stage, MOCK_IDP_IMAGE)?;
    if with_sample_api {
        docker_build(
            root,
            &binaries[1],
            &[Path::new(CA_BUNDLE)],
            SAMPLE_API_STAGE,
            SAMPLE_API_IMAGE,
        )?;
    }
    Ok(())
}

/// `cargo build` of each package's binary, statically linked, for the host's triple (the
/// triple keeps `+crt-static` off build scripts and proc macros, and the output apart from
/// the ordinary builds). Returns the binaries, in `packages` order.
fn build_static(root: &Path, packages: &[&str]) -> Result<Vec<PathBuf>, String> {
    let triple = host_triple()?;
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .current_dir(root)
        .args([
            "build",
            "--locked",
            "--profile",
            "image",
            "--target",
            &triple,
        ])
        // Replaces whatever the caller's RUSTFLAGS say: the image needs exactly a static binary.
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    for package in packages {
        cargo.args(["-p", package, "--bin", package]);
    }
    eprintln!(
        "xtask image: cargo build --profile image --target {triple} (static) {}",
        packages.join(" ")
    );
    let status = cargo
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("the static build failed".into());
    }
    let out = crate::target_dir(root).join(&triple).join("image");
    packages
        .iter()
        .map(|package| {
            let binary = out.join(package);
            let bytes = std::fs::read(&binary)
                .map_err(|e| format!("cannot read {}: {e}", binary.display()))?;
            if has_interpreter(&bytes)? {
                return Err(format!(
                    "{} is dynamically linked: an image from scratch has no libc to load",
                    binary.display()
                ));
            }
            Ok(binary)
        })
        .collect()
}

fn host_triple() -> Result<String, String> {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| "rustc -vV names no host triple".into())
}

/// Whether an ELF64 executable asks for a dynamic loader (has a `PT_INTERP` header).
fn has_interpreter(elf: &[u8]) -> Result<bool, String> {
    let u16_at = |at: usize| {
        elf.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u64_at = |at: usize| {
        elf.get(at..at + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    };
    if elf.get(..5) != Some(b"\x7fELF\x02") {
        return Err("not a 64-bit ELF executable".into());
    }
    let bad = || "truncated ELF header".to_string();
    let table = usize::try_from(u64_at(0x20).ok_or_else(bad)?).map_err(|_| bad())?;
    let entry = usize::from(u16_at(0x36).ok_or_else(bad)?);
    let count = usize::from(u16_at(0x38).ok_or_else(bad)?);
    for i in 0..count {
        const PT_INTERP: u32 = 3;
        let at = table + i * entry;
        let kind = elf
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
            .ok_or_else(bad)?;
        if kind == PT_INTERP {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The Dockerfile's last stage, with its one `COPY --from=…` replaced by a `COPY` of
/// `binary` from the build context.
fn final_stage(dockerfile: &str, binary: &str) -> Result<String, String> {
    let lines: Vec<&str> = dockerfile.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.trim_start().to_ascii_uppercase().starts_with("FROM "))
        .ok_or("the Dockerfile has no FROM")?;
    let mut copies = 0;
    let stage: Vec<String> = lines[start..]
        .iter()
        .map(|line| {
            if line.trim_start().starts_with("COPY --from=") {
                copies += 1;
                let destination = line.split_whitespace().last().unwrap_or_default();
                format!("COPY {binary} {destination}")
            } else {
                (*line).to_owned()
            }
        })
        .collect();
    if copies != 1 {
        return Err(format!(
            "the Dockerfile's final stage must have exactly one COPY --from=, found {copies}"
        ));
    }
    Ok(stage.join("\n") + "\n")
}

/// `docker build` of `stage` in a context holding only `binary` and `files`.
fn docker_build(
    root: &Path,
    binary: &Path,
    files: &[&Path],
    stage: &str,
    tag: &str,
) -> Result<(), String> {
    let name = binary
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("a binary without a name")?;
    let context = crate::target_dir(root).join("image-context").join(name);
    let _ = std::fs::remove_dir_all(&context);
    std::fs::create_dir_all(&context).map_err(|e| format!("{}: {e}", context.display()))?;
    std::fs::copy(binary, context.join(name)).map_err(|e| format!("copy {name}: {e}"))?;
    for file in files {
        let target = context.join(file.file_name().ok_or("a file without a name")?);
        std::fs::copy(file, target).map_err(|e| {
            format!(
                "cannot copy {} into {tag}: {e} (Debian: apt-get install ca-certificates)",
                file.display()
            )
        })?;
    }
    std::fs::write(context.join("Dockerfile"), stage).map_err(|e| format!("Dockerfile: {e}"))?;
    let status = Command::new("docker")
        .args(["build", "--quiet", "--tag", tag])
        .arg(&context)
        .status()
        .map_err(|e| format!("cannot run docker: {e}"))?;
    if !status.success() {
        return Err(format!("docker build of {tag} failed"));
    }
    let size = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Size}}", tag])
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<u64>()
                .ok()
        })
        .unwrap_or_default();
    eprintln!(
        "xtask image: built {tag} ({:.1} MB)",
        size as f64 / 1_000_000.0
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tested_image_is_the_dockerfiles_final_stage_around_a_local_binary() {
        // Arrange
        let dockerfile =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Dockerfile"))
                .unwrap();

        // Act
        let stage = final_stage(&dockerfile, "mock-idp").unwrap();

        // Assert
        assert!(stage.starts_with("FROM scratch\n"), "{stage}");
        assert!(stage.contains("\nCOPY mock-idp /mock-idp\n"), "{stage}");
        assert!(!stage.contains("--from"), "{stage}");
        for line in [
            "USER 65532:65532",
            "EXPOSE 4000",
            "ENV MOCK_IDP_HOST=0.0.0.0",
            "ENTRYPOINT [\"/mock-idp\"]",
        ] {
            assert!(stage.contains(line), "{line} missing from {stage}");
        }
        assert!(
            stage.contains("HEALTHCHECK") && stage.contains("CMD [\"/mock-idp\", \"healthcheck\"]")
        );
    }

    #[test]
    fn a_final_stage_without_exactly_one_copy_from_is_refused() {
        assert!(final_stage("FROM scratch\nCOPY a /a\n", "a").is_err());
        assert!(
            final_stage(
                "FROM x AS b\nFROM scratch\nCOPY --from=b /a /a\nCOPY --from=b /c /c\n",
                "a"
            )
            .is_err()
        );
    }

    #[test]
    fn a_static_binary_has_no_interpreter_and_this_test_binary_has_one() {
        // Arrange: the test binary itself is an ordinary, dynamically linked executable.
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let mut bare = vec![0u8; 64];
        bare[..5].copy_from_slice(b"\x7fELF\x02");

        // Act / Assert
        assert_eq!(has_interpreter(&me), Ok(true));
        assert_eq!(
            has_interpreter(&bare),
            Ok(false),
            "no program headers, no loader"
        );
        assert!(has_interpreter(b"#!/bin/sh\n").is_err());
    }
}
