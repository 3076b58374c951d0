//! Builds the program's IDL the way `anchor idl build` does (the program's
//! `idl-build` feature, through `anchor-lang-idl`'s builder) and renders
//! docs/integration.md from it, so the page cannot drift from the program.
//!
//! Each instruction's error list comes from the program's source: the
//! `ZlError` variants named in its handler file (account constraints and
//! checks) and in every program module that file reaches through `use crate::`
//! paths, transitively, plus the `ZlError` variants that the engine's own
//! error types convert into (`impl From<..> for ZlError` in errors.rs). It is
//! a superset at module grain: a module the handler reaches may raise an error
//! on a path this instruction never takes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anchor_lang_idl::build::IdlBuilder;
use anchor_lang_idl::types::{
    Idl, IdlArrayLen, IdlDefinedFields, IdlField, IdlGenericArg, IdlInstruction,
    IdlInstructionAccount, IdlInstructionAccountItem, IdlPda, IdlSeed, IdlSeedAccount,
    IdlSeedConst, IdlType, IdlTypeDef, IdlTypeDefTy,
};
use zero_loss::state::{seeds, VaultKind};

/// Where everything is.
pub struct Paths {
    pub root: PathBuf,
    pub program: PathBuf,
    pub idl: PathBuf,
    pub page: PathBuf,
}

impl Paths {
    pub fn from_repo(root: PathBuf) -> Self {
        Paths {
            program: root.join("programs/zero-loss"),
            idl: root.join("idl/zero_loss.json"),
            page: root.join("docs/integration.md"),
            root,
        }
    }
}

/// Builds the IDL and returns it as the checked-in file's text (pretty JSON,
/// a final newline). The build runs in its own target directory
/// (`target/idl`): the builder sets `RUSTFLAGS`, which would otherwise
/// invalidate the workspace's normal build.
pub fn build_idl_json(paths: &Paths) -> Result<String, String> {
    // The builder turns a set RUSTUP_TOOLCHAIN into a `cargo +toolchain`
    // argument; the rustup proxy that runs us sets it. The toolchain is the
    // same either way, so let the child resolve it again.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    std::env::set_var("CARGO_TARGET_DIR", paths.root.join("target/idl"));
    let mut idl = IdlBuilder::new()
        .program_path(paths.program.clone())
        .resolution(true)
        .skip_lint(false)
        .no_docs(false)
        .cargo_args(vec!["--locked".into(), "--lib".into()])
        .build()
        .map_err(|e| format!("building the IDL: {e}"))?;
    add_market_pda_seeds(&mut idl);
    let mut json = anchor_lang_idl::serde_json::to_string_pretty(&idl)
        .map_err(|e| format!("serializing the IDL: {e}"))?;
    json.push('\n');
    Ok(json)
}

/// The seeds of an account the program checks against the address stored on
/// the market (`address = market.vault(kind)`, `market.lp_mint`), by its
/// name in the instruction: the market's vaults and LP mint, created by
/// `init_market` as PDAs of exactly these seeds (state/seeds.rs). A stored
/// address costs the program nothing to check, where a `seeds` constraint
/// would derive a PDA per account per instruction; the IDL carries the seeds
/// so that Anchor's `.accounts()` and Codama's async builders derive them.
/// (`withdraw_pol`'s `pol_vault` is either POL vault, by its argument, and
/// keeps none.)
fn market_pda_seeds(name: &str) -> Option<Vec<IdlSeed>> {
    let market = IdlSeed::Account(IdlSeedAccount {
        path: "market".into(),
        account: None,
    });
    let constant = |value: &[u8]| {
        IdlSeed::Const(IdlSeedConst {
            value: value.to_vec(),
        })
    };
    let vault = |kind: VaultKind| {
        Some(vec![
            constant(seeds::VAULT),
            market.clone(),
            constant(&kind.seed()),
        ])
    };
    match name {
        "collateral_vault" => vault(VaultKind::Collateral),
        "liquidity_vault" => vault(VaultKind::Liquidity),
        "insurance_vault" => vault(VaultKind::Insurance),
        "pol_debt_vault" => vault(VaultKind::PolDebt),
        "pol_collateral_vault" => vault(VaultKind::PolCollateral),
        "lp_mint" => Some(vec![constant(seeds::LP_MINT), market.clone()]),
        _ => None,
    }
}

/// Adds [`market_pda_seeds`] to every such account of an instruction that
/// names the `market` and carries no address or seeds of its own.
pub fn add_market_pda_seeds(idl: &mut Idl) {
    for ix in &mut idl.instructions {
        if !flat_accounts(&ix.accounts)
            .iter()
            .any(|a| a.name == "market")
        {
            continue;
        }
        for acc in flat_accounts_mut(&mut ix.accounts) {
            if acc.pda.is_some() || acc.address.is_some() {
                continue;
            }
            if let Some(seeds) = market_pda_seeds(&acc.name) {
                acc.pda = Some(IdlPda {
                    seeds,
                    program: None,
                });
            }
        }
    }
}

pub fn load_idl(path: &Path) -> Result<Idl, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    anchor_lang_idl::serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Everything in the IDL that lacks a doc comment (or an error message).
pub fn missing_docs(idl: &Idl) -> Vec<String> {
    let mut missing = Vec::new();
    for ix in &idl.instructions {
        if ix.docs.is_empty() {
            missing.push(format!("instruction {}", ix.name));
        }
        for acc in flat_accounts(&ix.accounts) {
            if acc.docs.is_empty() {
                missing.push(format!("instruction {} account {}", ix.name, acc.name));
            }
        }
    }
    for ty in &idl.types {
        if ty.docs.is_empty() {
            missing.push(format!("type {}", ty.name));
        }
        if let IdlTypeDefTy::Struct {
            fields: Some(IdlDefinedFields::Named(fields)),
        } = &ty.ty
        {
            for f in fields.iter().filter(|f| f.docs.is_empty()) {
                missing.push(format!("type {} field {}", ty.name, f.name));
            }
        }
    }
    for e in idl.errors.iter().filter(|e| e.msg.is_none()) {
        missing.push(format!("error {}", e.name));
    }
    missing
}

fn flat_accounts_mut(items: &mut [IdlInstructionAccountItem]) -> Vec<&mut IdlInstructionAccount> {
    let mut out = Vec::new();
    for item in items {
        match item {
            IdlInstructionAccountItem::Single(a) => out.push(a),
            IdlInstructionAccountItem::Composite(c) => {
                out.extend(flat_accounts_mut(&mut c.accounts))
            }
        }
    }
    out
}

fn flat_accounts(items: &[IdlInstructionAccountItem]) -> Vec<&IdlInstructionAccount> {
    let mut out = Vec::new();
    for item in items {
        match item {
            IdlInstructionAccountItem::Single(a) => out.push(a),
            IdlInstructionAccountItem::Composite(c) => out.extend(flat_accounts(&c.accounts)),
        }
    }
    out
}

// --- errors reached from each instruction's handler ---------------------------------

/// The program's source files, by module path (`controller::auction`).
struct Source {
    files: BTreeMap<String, String>,
}

impl Source {
    fn load(src: &Path) -> Result<Self, String> {
        let mut files = BTreeMap::new();
        collect(src, src, &mut files)?;
        Ok(Source { files })
    }

    /// The module that defines `name` (a struct, enum, fn, trait, const or
    /// mod at the start of a line).
    fn definer(&self, name: &str) -> Option<&str> {
        let kinds = ["struct", "enum", "fn", "trait", "const", "mod", "type"];
        self.files.iter().find_map(|(module, text)| {
            let defines = text.lines().any(|line| {
                let line = line.trim_start().trim_start_matches("pub ");
                kinds.iter().any(|k| {
                    line.strip_prefix(k)
                        .and_then(|r| r.strip_prefix(' '))
                        .is_some_and(|r| {
                            r.strip_prefix(name).is_some_and(|t| {
                                !t.starts_with(|c: char| c.is_alphanumeric() || c == '_')
                            })
                        })
                })
            });
            defines.then_some(module.as_str())
        })
    }

    /// The modules a file's `use crate::` / `use super::` paths name.
    fn uses(&self, module: &str) -> BTreeSet<String> {
        let text = &self.files[module];
        let mut out = BTreeSet::new();
        let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
        for stmt in use_statements(text) {
            let (base, rest) = if let Some(r) = stmt.strip_prefix("crate::") {
                (String::new(), r)
            } else if let Some(r) = stmt.strip_prefix("super::") {
                (parent.to_string(), r)
            } else {
                continue;
            };
            for path in expand_use(rest) {
                if let Some(m) = self.resolve(&base, &path) {
                    out.insert(m);
                }
            }
        }
        out.remove(module);
        out
    }

    /// The module a `use` path lands in: the longest prefix that is a module
    /// file, or the file defining its last item.
    fn resolve(&self, base: &str, path: &[String]) -> Option<String> {
        let join = |n: usize| {
            let mut parts: Vec<&str> = if base.is_empty() { vec![] } else { vec![base] };
            parts.extend(path[..n].iter().map(String::as_str));
            parts.join("::")
        };
        let item = path.last()?;
        if item != "self" && item.starts_with(|c: char| c.is_uppercase()) {
            if let Some(m) = self.definer(item) {
                return Some(m.to_string());
            }
        }
        (1..=path.len())
            .rev()
            .map(join)
            .find(|m| self.files.contains_key(m))
    }

    /// `ZlError::X` named in a module.
    fn named_errors(&self, module: &str) -> BTreeSet<String> {
        error_names(&self.files[module])
    }
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).map_err(|e| e.to_string())?;
            let mut parts: Vec<String> = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            let module = parts.join("::");
            // Tests are not the program; client.rs and errors.rs raise nothing.
            if matches!(
                module.as_str(),
                "lib" | "client" | "errors" | "controller::model_tests"
            ) {
                continue;
            }
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            out.insert(module, strip_tests(&text));
        }
    }
    Ok(())
}

/// The text before a `#[cfg(test)]` module.
fn strip_tests(text: &str) -> String {
    match text.find("#[cfg(test)]\nmod ") {
        Some(i) => text[..i].to_string(),
        None => text.to_string(),
    }
}

/// The bodies of `use` statements (after `use `, up to `;`, whitespace runs
/// made one space).
fn use_statements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("use ") {
        let at_start = i == 0 || rest[..i].ends_with(['\n', ' ', '{']);
        let after = &rest[i + 4..];
        let Some(end) = after.find(';') else { break };
        if at_start {
            out.push(
                after[..end]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        rest = &after[end..];
    }
    out
}

/// `a::{b, c::{d, e}}` into `[a,b]`, `[a,c,d]`, `[a,c,e]`.
fn expand_use(path: &str) -> Vec<Vec<String>> {
    let path = path.trim();
    let segments = |p: &str| -> Vec<String> {
        p.split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    match path.find('{') {
        None => vec![segments(path.split(" as ").next().unwrap_or(path))],
        Some(open) => {
            let prefix = segments(&path[..open]);
            let inner = &path[open + 1..path.rfind('}').unwrap_or(path.len())];
            split_top_level(inner)
                .into_iter()
                .flat_map(|part| {
                    expand_use(part).into_iter().map(|tail| {
                        let mut p = prefix.clone();
                        p.extend(tail);
                        p
                    })
                })
                .collect()
        }
    }
}

fn split_top_level(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter().filter(|p| !p.is_empty()).collect()
}

fn error_names(text: &str) -> BTreeSet<String> {
    text.match_indices("ZlError::")
        .map(|(i, m)| {
            text[i + m.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|n| n.starts_with(|c: char| c.is_uppercase()))
        .collect()
}

/// `impl From<T> for ZlError` in errors.rs: the module defining `T`, and the
/// variants that block returns.
fn conversions(errors_rs: &str, source: &Source) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for block in errors_rs.split("impl From<").skip(1) {
        let Some((ty, body)) = block.split_once("> for ZlError") else {
            continue;
        };
        let body = body.split("\nimpl ").next().unwrap_or(body);
        let name = ty.rsplit("::").next().unwrap_or(ty);
        if let Some(module) = source.definer(name) {
            out.entry(module.to_string())
                .or_default()
                .extend(error_names(body));
        }
    }
    out
}

/// The handler module of each instruction, from lib.rs (`name::handler(ctx..)`).
fn handler_modules(lib_rs: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in lib_rs.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("pub fn ") {
            current = rest.split(['(', '<']).next().map(str::to_string);
        } else if let (Some(ix), Some((module, _))) = (&current, line.split_once("::")) {
            out.insert(ix.clone(), format!("instructions::{module}"));
            current = None;
        }
    }
    out
}

/// What an instruction can fail with: the `ZlError` variants its handler
/// file names (its account constraints and checks), and those of the shared
/// modules it reaches.
#[derive(Default)]
pub struct InstructionErrors {
    pub own: BTreeSet<String>,
    pub shared: BTreeSet<String>,
}

/// Every instruction's `ZlError` variants.
fn errors_by_instruction(paths: &Paths) -> Result<BTreeMap<String, InstructionErrors>, String> {
    let src = paths.program.join("src");
    let source = Source::load(&src)?;
    let read = |f: &str| std::fs::read_to_string(src.join(f)).map_err(|e| format!("{f}: {e}"));
    let converted = conversions(&read("errors.rs")?, &source);
    // Per module, once: the errors it names or converts, and the modules it uses.
    let mut errors: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut uses: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for m in source.files.keys() {
        let mut e = source.named_errors(m);
        e.extend(converted.get(m).into_iter().flatten().cloned());
        errors.insert(m, e);
        uses.insert(m, source.uses(m));
    }
    let mut out = BTreeMap::new();
    for (ix, handler) in handler_modules(&read("lib.rs")?) {
        if !source.files.contains_key(&handler) {
            return Err(format!("instruction {ix}: no module {handler}"));
        }
        let own = source.named_errors(&handler);
        let mut seen = BTreeSet::from([handler.clone()]);
        let mut todo = vec![handler];
        let mut shared = BTreeSet::new();
        while let Some(m) = todo.pop() {
            shared.extend(errors[m.as_str()].iter().cloned());
            for next in &uses[m.as_str()] {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        let shared = shared.difference(&own).cloned().collect();
        out.insert(ix, InstructionErrors { own, shared });
    }
    Ok(out)
}

// --- the page ----------------------------------------------------------------------------

fn ty(t: &IdlType) -> String {
    match t {
        IdlType::Option(inner) => format!("Option<{}>", ty(inner)),
        IdlType::Vec(inner) => format!("Vec<{}>", ty(inner)),
        IdlType::Array(inner, IdlArrayLen::Value(n)) => format!("[{}; {n}]", ty(inner)),
        IdlType::Array(inner, IdlArrayLen::Generic(n)) => format!("[{}; {n}]", ty(inner)),
        IdlType::Defined { name, generics } if generics.is_empty() => {
            format!("[{name}](#{})", anchor(name))
        }
        IdlType::Defined { name, generics } => {
            let args: Vec<String> = generics
                .iter()
                .map(|g| match g {
                    IdlGenericArg::Type { ty: t } => ty(t),
                    IdlGenericArg::Const { value } => value.clone(),
                })
                .collect();
            format!("{name}<{}>", args.join(", "))
        }
        IdlType::Generic(g) => g.clone(),
        other => anchor_lang_idl::serde_json::to_value(other)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| format!("{other:?}")),
    }
}

fn anchor(name: &str) -> String {
    name.to_lowercase()
}

/// Doc lines as one table cell or paragraph.
fn joined(docs: &[String]) -> String {
    docs.iter()
        .map(|d| d.trim())
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn seed(s: &IdlSeed) -> String {
    match s {
        IdlSeed::Const(c) => match std::str::from_utf8(&c.value) {
            Ok(t) if t.chars().all(|c| c.is_ascii_graphic()) => format!("\"{t}\""),
            _ => format!("{:?}", c.value),
        },
        IdlSeed::Arg(a) => format!("arg `{}`", a.path),
        IdlSeed::Account(a) => format!("`{}`", a.path),
    }
}

fn address_cell(acc: &IdlInstructionAccount) -> String {
    if let Some(addr) = &acc.address {
        return format!("`{addr}`");
    }
    if let Some(pda) = &acc.pda {
        let seeds: Vec<String> = pda.seeds.iter().map(seed).collect();
        let program = pda
            .program
            .as_ref()
            .map(|p| format!(" of {}", seed(p)))
            .unwrap_or_default();
        return format!("PDA [{}]{program}", seeds.join(", "));
    }
    String::new()
}

fn fields_table(out: &mut String, fields: &[IdlField]) {
    out.push_str("| field | type | description |\n|---|---|---|\n");
    for f in fields {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            f.name,
            ty(&f.ty),
            joined(&f.docs)
        );
    }
}

fn type_body(out: &mut String, def: &IdlTypeDef) {
    match &def.ty {
        IdlTypeDefTy::Struct {
            fields: Some(IdlDefinedFields::Named(fields)),
        } => fields_table(out, fields),
        IdlTypeDefTy::Struct {
            fields: Some(IdlDefinedFields::Tuple(types)),
        } => {
            let types: Vec<String> = types.iter().map(ty).collect();
            let _ = writeln!(out, "Tuple struct: ({})", types.join(", "));
        }
        IdlTypeDefTy::Struct { fields: None } => out.push_str("Unit struct.\n"),
        IdlTypeDefTy::Enum { variants } => {
            out.push_str("| value | variant |\n|---|---|\n");
            for (i, v) in variants.iter().enumerate() {
                let _ = writeln!(out, "| {i} | `{}` |", v.name);
            }
        }
        IdlTypeDefTy::Type { alias } => {
            let _ = writeln!(out, "Alias of {}.", ty(alias));
        }
    }
}

fn instruction(
    out: &mut String,
    ix: &IdlInstruction,
    errors: &InstructionErrors,
    codes: &BTreeMap<String, u32>,
) {
    let _ = writeln!(out, "### `{}`\n", ix.name);
    let _ = writeln!(out, "{}\n", joined(&ix.docs));
    let _ = writeln!(out, "Discriminator: `{:?}`\n", ix.discriminator);
    out.push_str(
        "| # | account | writable | signer | address | description |\n|---|---|---|---|---|---|\n",
    );
    for (i, acc) in flat_accounts(&ix.accounts).iter().enumerate() {
        let flag = |b: bool| if b { "yes" } else { "" };
        let _ = writeln!(
            out,
            "| {i} | `{}`{} | {} | {} | {} | {} |",
            acc.name,
            if acc.optional { " (optional)" } else { "" },
            flag(acc.writable),
            flag(acc.signer),
            address_cell(acc),
            joined(&acc.docs)
        );
    }
    out.push('\n');
    if ix.args.is_empty() {
        out.push_str("Arguments: none.\n\n");
    } else {
        out.push_str("| argument | type |\n|---|---|\n");
        for a in &ix.args {
            let _ = writeln!(out, "| `{}` | {} |", a.name, ty(&a.ty));
        }
        out.push('\n');
    }
    let list = |set: &BTreeSet<String>| {
        let items: Vec<String> = set
            .iter()
            .filter_map(|e| codes.get(e).map(|code| format!("[`{e}`](#error-{code})")))
            .collect();
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    };
    let _ = writeln!(out, "Errors it checks: {}.\n", list(&errors.own));
    let _ = writeln!(
        out,
        "Errors from shared code it reaches: {}.\n",
        list(&errors.shared)
    );
}

/// docs/integration.md, rendered from the checked-in IDL and the source.
pub fn render_integration_page(paths: &Paths) -> Result<String, String> {
    let idl = load_idl(&paths.idl)?;
    let errors = errors_by_instruction(paths)?;
    let codes: BTreeMap<String, u32> = idl
        .errors
        .iter()
        .map(|e| (e.name.clone(), e.code))
        .collect();
    let types: BTreeMap<&str, &IdlTypeDef> =
        idl.types.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Integration reference\n\n\
         <!-- Generated by `scripts/idl.sh` (zl-idl docs) from idl/zero_loss.json and the program's\n\
         source. Do not edit: CI fails when this page differs from what the IDL renders. -->\n\n\
         Program `{}` (`{}` {}, IDL spec {}). {}\n\n{}\n\n\
         The IDL is `idl/zero_loss.json`; the TypeScript client generated from it is in\n\
         `clients/ts` (see its README); how to deploy is in docs/deploy.md.\n\n\
         Contents: [Instructions](#instructions) ({}), [Accounts](#accounts) ({}),\n\
         [Events](#events) ({}), [Types](#types), [Errors](#errors) ({}).\n",
        idl.address,
        idl.metadata.name,
        idl.metadata.version,
        idl.metadata.spec,
        idl.metadata.description.clone().unwrap_or_default(),
        idl.docs.join("\n"),
        idl.instructions.len(),
        idl.accounts.len(),
        idl.events.len(),
        idl.errors.len(),
    );

    out.push_str(
        "## Instructions\n\n\
         Accounts are listed in the order the instruction takes them. `address` gives a fixed\n\
         address or the PDA seeds (as the IDL resolves them; a seed naming an account is that\n\
         account's key, `account.field` a field of it). \"Errors it checks\" are the program\n\
         errors named in the instruction's handler file (its account constraints and checks).\n\
         \"Errors from shared code\" are those named in the program modules that file reaches\n\
         (`use crate::` paths, transitively) and the engine errors those modules convert: a\n\
         superset at module grain, since a module may raise an error on a path this\n\
         instruction never takes. Any instruction can also fail with Anchor's own account\n\
         errors (codes below 6000, e.g. 2006 `ConstraintSeeds`, 3012 `AccountNotInitialized`).\n\n",
    );
    for ix in &idl.instructions {
        let none = InstructionErrors::default();
        instruction(&mut out, ix, errors.get(&ix.name).unwrap_or(&none), &codes);
    }

    out.push_str(
        "## Accounts\n\nProgram-owned accounts; the first 8 bytes are the discriminator.\n\n",
    );
    for acc in &idl.accounts {
        let _ = writeln!(out, "### {}\n", acc.name);
        let _ = writeln!(out, "Discriminator: `{:?}`\n", acc.discriminator);
        if let Some(def) = types.get(acc.name.as_str()) {
            let _ = writeln!(out, "{}\n", joined(&def.docs));
            type_body(&mut out, def);
        }
        out.push('\n');
    }

    out.push_str(
        "## Events\n\nEmitted with Anchor's `emit!`: a log line `Program data: <base64>` whose\n\
         bytes are the 8-byte discriminator and the Borsh-encoded fields.\n\n",
    );
    for ev in &idl.events {
        let _ = writeln!(out, "### {}\n", ev.name);
        let _ = writeln!(out, "Discriminator: `{:?}`\n", ev.discriminator);
        if let Some(def) = types.get(ev.name.as_str()) {
            let _ = writeln!(out, "{}\n", joined(&def.docs));
            type_body(&mut out, def);
        }
        out.push('\n');
    }

    out.push_str("## Types\n\nArgument and field types that are neither accounts nor events.\n\n");
    let named: BTreeSet<&str> = idl
        .accounts
        .iter()
        .map(|a| a.name.as_str())
        .chain(idl.events.iter().map(|e| e.name.as_str()))
        .collect();
    for def in idl
        .types
        .iter()
        .filter(|t| !named.contains(t.name.as_str()))
    {
        let _ = writeln!(out, "### {}\n\n{}\n", def.name, joined(&def.docs));
        type_body(&mut out, def);
        out.push('\n');
    }

    out.push_str(
        "## Errors\n\nThe program's `ZlError` (`programs/zero-loss/src/errors.rs`): a refused\n\
         transaction fails with `custom program error: 0x..` carrying the code.\n\n\
         | code | hex | name | message |\n|---|---|---|---|\n",
    );
    for e in &idl.errors {
        let _ = writeln!(
            out,
            "| <a id=\"error-{0}\"></a>{0} | 0x{0:x} | `{1}` | {2} |",
            e.code,
            e.name,
            e.msg.as_deref().unwrap_or("").replace('|', "\\|")
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Paths {
        Paths::from_repo(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
    }

    #[test]
    fn the_integration_page_is_what_the_idl_renders() {
        let p = paths();
        let page = render_integration_page(&p).expect("render");
        let checked_in = std::fs::read_to_string(&p.page).expect("docs/integration.md");
        assert!(
            page == checked_in,
            "docs/integration.md is stale: run scripts/idl.sh"
        );
    }

    #[test]
    fn every_item_in_the_idl_has_docs() {
        let idl = load_idl(&paths().idl).expect("idl");
        assert_eq!(missing_docs(&idl), Vec::<String>::new());
        assert!(!idl.instructions.is_empty() && !idl.events.is_empty() && !idl.errors.is_empty());
    }

    #[test]
    fn every_instruction_has_a_handler_and_reaches_its_own_checks() {
        let p = paths();
        let idl = load_idl(&p.idl).expect("idl");
        let errors = errors_by_instruction(&p).expect("scan");
        for ix in &idl.instructions {
            assert!(
                errors.contains_key(&ix.name),
                "no handler found for {}",
                ix.name
            );
        }
        // Named in bid.rs itself, reached through controller::auction and
        // converted from the engine's AuctionError.
        let bid = &errors["bid"];
        assert!(bid.own.contains("WrongVault"), "{:?}", bid.own);
        for e in ["MathOverflow", "TooExpensive", "OracleStale"] {
            assert!(
                bid.shared.contains(e),
                "bid should reach {e}: {:?}",
                bid.shared
            );
        }
        // init_protocol touches neither oracles nor auctions.
        let init = &errors["init_protocol"];
        assert!(init.own.contains("NotUpgradeAuthority"));
        assert!(
            !init.shared.iter().any(|e| e.starts_with("Oracle")),
            "{:?}",
            init.shared
        );
    }

    /// Every vault and LP-mint account in the IDL carries seeds, and the
    /// seeds derive the address the program's own helpers derive for a
    /// market (the addresses `init_market` creates and stores).
    #[test]
    fn every_market_vault_carries_seeds_that_derive_its_address() {
        use zero_loss::state::seeds::{lp_mint_address, vault_address};
        let idl = load_idl(&paths().idl).expect("idl");
        let program = zero_loss::ID;
        let market = anchor_lang_idl::types::IdlSeedAccount {
            path: "market".into(),
            account: None,
        };
        let market_key = zero_loss::ID; // any key: the seeds, not the key, are checked
        let mut seen = 0;
        for ix in &idl.instructions {
            for acc in flat_accounts(&ix.accounts) {
                let expected = match acc.name.as_str() {
                    "collateral_vault" => {
                        vault_address(&program, &market_key, VaultKind::Collateral)
                    }
                    "liquidity_vault" => vault_address(&program, &market_key, VaultKind::Liquidity),
                    "insurance_vault" => vault_address(&program, &market_key, VaultKind::Insurance),
                    "pol_debt_vault" => vault_address(&program, &market_key, VaultKind::PolDebt),
                    "pol_collateral_vault" => {
                        vault_address(&program, &market_key, VaultKind::PolCollateral)
                    }
                    "lp_mint" => lp_mint_address(&program, &market_key),
                    _ => continue,
                };
                let pda = acc
                    .pda
                    .as_ref()
                    .unwrap_or_else(|| panic!("{}.{} has no seeds", ix.name, acc.name));
                let bytes: Vec<Vec<u8>> = pda
                    .seeds
                    .iter()
                    .map(|s| match s {
                        IdlSeed::Const(c) => c.value.clone(),
                        IdlSeed::Account(a) if *a == market => market_key.to_bytes().to_vec(),
                        other => panic!("{}.{}: unexpected seed {other:?}", ix.name, acc.name),
                    })
                    .collect();
                let refs: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
                let derived = anchor_lang::prelude::Pubkey::find_program_address(&refs, &program);
                assert_eq!(derived, expected, "{}.{}", ix.name, acc.name);
                seen += 1;
            }
        }
        assert!(seen >= 30, "only {seen} vault accounts seen");
    }

    #[test]
    fn use_paths_expand() {
        assert_eq!(
            expand_use("state::{pause, seeds::{A, B}}"),
            vec![
                vec!["state".to_string(), "pause".into()],
                vec!["state".into(), "seeds".into(), "A".into()],
                vec!["state".into(), "seeds".into(), "B".into()],
            ]
        );
        assert_eq!(expand_use("oracle"), vec![vec!["oracle".to_string()]]);
    }
}
