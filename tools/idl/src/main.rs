//! `zl-idl`: the program's IDL and the integration page generated from it.
//!
//! ```text
//! zl-idl build         build the IDL with the program's `idl-build` feature
//!                      (what `anchor idl build` runs) into idl/zero_loss.json
//! zl-idl check         build it again and fail if idl/zero_loss.json differs
//! zl-idl docs          render docs/integration.md from idl/zero_loss.json
//!                      and the program's source
//! zl-idl docs --check  fail if docs/integration.md is not what `docs` renders
//! ```
//!
//! `scripts/idl.sh` runs `build` then `docs`; CI runs both checks.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use zl_idl::{render_integration_page, Paths};

const USAGE: &str = "usage: zl-idl build | check | docs [--check]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let paths = Paths::from_repo(repo_root());
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["build"] => build(&paths),
        ["check"] => check_idl(&paths),
        ["docs"] => docs(&paths, false),
        ["docs", "--check"] => docs(&paths, true),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("zl-idl: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The repository: this crate lives in `tools/idl`.
fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

fn build(paths: &Paths) -> Result<String, String> {
    let json = zl_idl::build_idl_json(paths)?;
    write_or_check(&paths.idl, &json, false, "")
}

fn check_idl(paths: &Paths) -> Result<String, String> {
    let json = zl_idl::build_idl_json(paths)?;
    write_or_check(&paths.idl, &json, true, "differs from a fresh build")
}

fn docs(paths: &Paths, check: bool) -> Result<String, String> {
    let page = render_integration_page(paths)?;
    write_or_check(&paths.page, &page, check, "is not what the IDL renders")
}

/// Writes `text` to `path`; with `check`, writes nothing and fails (saying
/// the file `differs`, and from which line) unless `path` holds `text`.
fn write_or_check(path: &Path, text: &str, check: bool, differs: &str) -> Result<String, String> {
    let name = path.display();
    if !check {
        std::fs::write(path, text).map_err(|e| format!("{name}: {e}"))?;
        return Ok(format!("wrote {name}"));
    }
    let checked_in = read(path)?;
    if checked_in != text {
        let line = first_difference(&checked_in, text);
        return Err(format!(
            "{name} {differs} (first at line {line}); run scripts/idl.sh and commit"
        ));
    }
    Ok(format!("{name} is current"))
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The 1-based line where two texts first differ.
fn first_difference(a: &str, b: &str) -> usize {
    a.lines()
        .zip(b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or_else(|| a.lines().count().min(b.lines().count()))
        + 1
}
