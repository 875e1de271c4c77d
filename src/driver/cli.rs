//! The command line: `cargo async-lint [OPTIONS] [PATH]...`. It parses the arguments, runs the
//! pipeline step by step and writes the report; it hands the process its exit code.

use super::config::Loaded;
use super::options::Options;
use super::{config, engine};
use crate::fix;
use crate::lints::diag::Level;
use crate::lints::lint::unindent_docs;
use crate::lints::parse_error::PARSE_ERROR;
use crate::lints::registry::{self, Levels};
use crate::report::format::Format;
use crate::report::results::Report;
use crate::report::{baseline, human, json, sarif};
use crate::workspace::discover::{self, Workspace};
use clap::{ArgAction, CommandFactory, FromArgMatches, Parser};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Exit codes, as ruff and other lint tools use them.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "cargo-async-lint",
    bin_name = "cargo async-lint",
    version,
    about = "Static checks for async Rust: blocking calls, runtime nesting and more",
    after_help = "With no PATH, lints every target of the members cargo would build: the package \
                  of the working directory, or the workspace's default members (`--workspace`: \
                  every member).\nExit status: 0 no findings, 1 findings at warn or deny level, 2 error."
)]
pub struct Args {
    /// Files or directories to lint instead of the cargo workspace.
    pub paths: Vec<PathBuf>,

    /// Path to Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// Lint only these workspace members.
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub packages: Vec<String>,

    /// Lint every workspace member (by default, as cargo: the package of the working directory,
    /// or the workspace's default members).
    #[arg(long, conflicts_with = "packages")]
    pub workspace: bool,

    /// Leave these members out (package ID specifications, as `-p`).
    #[arg(long, value_name = "SPEC", action = ArgAction::Append)]
    pub exclude: Vec<String>,

    /// Lint only the library target (with the other target flags: those targets too).
    #[arg(long, help_heading = "Target selection")]
    pub lib: bool,

    /// Lint all binary targets.
    #[arg(long, help_heading = "Target selection")]
    pub bins: bool,

    /// Lint this binary target.
    #[arg(long, value_name = "NAME", action = ArgAction::Append, help_heading = "Target selection")]
    pub bin: Vec<String>,

    /// Lint all test targets (`tests/`).
    #[arg(long, help_heading = "Target selection")]
    pub tests: bool,

    /// Lint this test target.
    #[arg(long, value_name = "NAME", action = ArgAction::Append, help_heading = "Target selection")]
    pub test: Vec<String>,

    /// Lint all example targets.
    #[arg(long, help_heading = "Target selection")]
    pub examples: bool,

    /// Lint this example target.
    #[arg(long, value_name = "NAME", action = ArgAction::Append, help_heading = "Target selection")]
    pub example: Vec<String>,

    /// Lint all bench targets.
    #[arg(long, help_heading = "Target selection")]
    pub benches: bool,

    /// Lint this bench target.
    #[arg(long, value_name = "NAME", action = ArgAction::Append, help_heading = "Target selection")]
    pub bench: Vec<String>,

    /// Lint every target (the default).
    #[arg(long, help_heading = "Target selection")]
    pub all_targets: bool,

    /// Lint the code of every feature (the default: `#[cfg(feature = "..")]` never hides code).
    #[arg(long, help_heading = "Feature selection")]
    pub all_features: bool,

    /// Lint as built with these features (and the default ones): code under a
    /// `#[cfg(feature = "..")]` that they rule out is not linted. Comma- or space-separated;
    /// `member/feature` for one member.
    #[arg(short = 'F', long, value_name = "FEATURES", action = ArgAction::Append, help_heading = "Feature selection")]
    pub features: Vec<String>,

    /// Lint as built without the default features.
    #[arg(long, help_heading = "Feature selection")]
    pub no_default_features: bool,

    /// Passed to `cargo metadata`: the lock file must be up to date.
    #[arg(long, help_heading = "Manifest options")]
    pub locked: bool,

    /// Passed to `cargo metadata`: never touch the network (the tool asks offline anyway).
    #[arg(long, help_heading = "Manifest options")]
    pub offline: bool,

    /// Passed to `cargo metadata`: `--locked` and `--offline`.
    #[arg(long, help_heading = "Manifest options")]
    pub frozen: bool,

    /// Accepted for rust-analyzer and cargo: the run always goes on past a package with findings.
    #[arg(long)]
    pub keep_going: bool,

    /// Output format: human, short, json, sarif, github, or cargo's JSON forms
    /// (json-diagnostic-short, json-diagnostic-rendered-ansi, json-render-diagnostics).
    #[arg(long, value_name = "FMT", default_value = "human")]
    pub message_format: String,

    /// Coloring of human output (default: `CARGO_TERM_COLOR`, else auto: colour on a terminal,
    /// as `NO_COLOR`, `CLICOLOR_FORCE`, `CLICOLOR` and `TERM=dumb` allow).
    #[arg(long, value_name = "WHEN", value_parser = ["auto", "always", "never"])]
    pub color: Option<String>,

    /// Set a lint, a group (correctness, suspicious, pedantic) or `all` to allow.
    #[arg(short = 'A', long = "allow", value_name = "LINT", action = ArgAction::Append)]
    pub allow: Vec<String>,

    /// Set a lint, a group or `all` to warn.
    #[arg(short = 'W', long = "warn", value_name = "LINT", action = ArgAction::Append)]
    pub warn: Vec<String>,

    /// Set a lint, a group or `all` to deny (error).
    #[arg(short = 'D', long = "deny", value_name = "LINT", action = ArgAction::Append)]
    pub deny: Vec<String>,

    /// Report findings even where `// async-lint: allow(..)` or a clippy `#[allow]` suppresses
    /// them (an audit of what is suppressed).
    #[arg(long)]
    pub ignore_suppressions: bool,

    /// Apply machine-applicable fixes (atomically; a file that would not parse afterwards, or
    /// that changed since it was read, is left alone).
    #[arg(long, conflicts_with_all = ["baseline", "write_baseline", "ignore_suppressions"])]
    pub fix: bool,

    /// With --fix: print a unified diff of the fixes and write nothing.
    #[arg(long, requires = "fix")]
    pub diff: bool,

    /// With --fix: fix even when the git working tree has uncommitted changes.
    #[arg(long, requires = "fix")]
    pub allow_dirty: bool,

    /// With --fix: fix even outside a git working tree (nothing to undo the edits with).
    #[arg(long, requires = "fix")]
    pub allow_no_vcs: bool,

    /// Report only findings not recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record today's findings in a baseline file (and exit 0).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Exit with 0 even when there are findings.
    #[arg(long)]
    pub exit_zero: bool,

    /// Print the table of lints and exit.
    #[arg(long)]
    pub list: bool,

    /// Print the documentation of a lint and exit.
    #[arg(long, value_name = "LINT")]
    pub explain: Option<String>,

    /// Write the lint catalogue (one HTML page: every lint's documentation, the APIs it knows,
    /// a search box) into DIR and exit.
    #[arg(long, value_name = "DIR")]
    pub emit_catalogue: Option<PathBuf>,

    /// Configuration file (default: async-lint.toml, .async-lint.toml or Cargo.toml metadata
    /// found from the workspace root upwards).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Do not reuse or store results in the cache (`target/async-lint-cache/`); by default a
    /// package whose files, configuration and tool version are unchanged is not linted again.
    #[arg(long)]
    pub no_cache: bool,

    /// Do not follow calls into dependencies: no dependency graph from `cargo metadata` and no
    /// summaries of the dependencies' sources (path mode never follows them).
    #[arg(long)]
    pub no_deps: bool,

    /// Print notes on stderr: how many dependencies are summarized, which are skipped and why.
    #[arg(short = 'v', long, conflicts_with = "quiet")]
    pub verbose: bool,

    /// No summary line on stderr (findings are still written).
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Number of worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
}

/// Entry point: returns the process exit code.
pub fn main_with_args(mut argv: Vec<String>) -> i32 {
    // `cargo async-lint ...` runs `cargo-async-lint async-lint ...`.
    if argv.get(1).map(String::as_str) == Some("async-lint") {
        argv.remove(1);
    }

    let cmd = Args::command();
    let matches = match cmd.try_get_matches_from(&argv) {
        Ok(m) => m,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let args = match Args::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return EXIT_ERROR;
        }
    };
    match run(&args, &level_flags(&matches)) {
        Ok(code) | Err(code) => code,
    }
}

/// The `-A` / `-W` / `-D` flags in command-line order (later ones win).
fn level_flags(matches: &clap::ArgMatches) -> Vec<(usize, Level, String)> {
    let mut level_flags: Vec<(usize, Level, String)> = Vec::new();
    for (id, level) in [
        ("allow", Level::Allow),
        ("warn", Level::Warn),
        ("deny", Level::Deny),
    ] {
        if let (Some(idx), Some(vals)) = (matches.indices_of(id), matches.get_many::<String>(id)) {
            for (i, v) in idx.zip(vals) {
                level_flags.push((i, level, v.clone()));
            }
        }
    }
    level_flags.sort_by_key(|(i, _, _)| *i);
    level_flags
}

/// The workspace and options a command line selects, as a run would make them (for the
/// language server, which lints the same way on each change). Errors are printed on stderr.
pub(crate) fn prepare(
    argv: &[String],
    config_levels: &dyn Fn(&mut Levels),
) -> Result<(Workspace, Options), i32> {
    let matches = Args::command()
        .try_get_matches_from(argv)
        .map_err(|e| error(&e.to_string()))?;
    let args = Args::from_arg_matches(&matches).map_err(|e| error(&e.to_string()))?;
    let level_flags = level_flags(&matches);
    check_level_flags(&level_flags)?;
    workspace_and_options(&args, &level_flags, config_levels)
}

/// The workspace a command line selects, its configuration read, and the options of the run:
/// levels from the configuration, then the command line's, then `more_levels`.
fn workspace_and_options(
    args: &Args,
    level_flags: &LevelFlags,
    more_levels: &dyn Fn(&mut Levels),
) -> Result<(Workspace, Options), i32> {
    let mut ws = load_workspace(args)?;
    crate::util::timing::mark(|| "workspace: members listed".into());
    select(&mut ws, args)?;
    if args.fix && !args.diff {
        fix::vcs_allows(&ws.root, args.allow_dirty, args.allow_no_vcs)
            .map_err(|msg| error(&msg))?;
    }
    let mut loaded = load_config(args, &ws.root)?;
    loaded.import_clippy(&ws.root);
    if args.verbose
        && let Some((import, _)) = &loaded.clippy
    {
        eprintln!(
            "note: read {}: {} `await-holding-invalid-types` as held types, {} `disallowed-methods` with a reason as blocking in async code ({} without a reason left out); `import-clippy-config = false` turns this off",
            import.path.display(),
            import.held.len(),
            import
                .blocking
                .iter()
                .filter(|b| !b.paths.is_empty())
                .count(),
            import.without_reason
        );
    }
    let mut levels = resolve_levels(&loaded, level_flags);
    more_levels(&mut levels);
    let opts = run_options(args, loaded, levels)?;
    Ok((ws, opts))
}

fn error(msg: &str) -> i32 {
    eprintln!("error: {msg}");
    EXIT_ERROR
}

/// Level flags as given: (position on the command line, level, lint or group).
type LevelFlags = [(usize, Level, String)];

/// The steps of a run, in order. `Err`: the run stops early with this exit code (its message is
/// already printed).
fn run(args: &Args, level_flags: &LevelFlags) -> Result<i32, i32> {
    let mut stdout = std::io::stdout().lock();
    if args.list {
        let _ = write!(stdout, "{}", list_table());
        return Ok(EXIT_OK);
    }
    if let Some(name) = &args.explain {
        return Ok(explain(&mut stdout, name));
    }
    if let Some(dir) = &args.emit_catalogue {
        return match crate::report::catalogue::write(dir) {
            Ok(path) => {
                eprintln!("async-lint: wrote the lint catalogue to {}", path.display());
                Ok(EXIT_OK)
            }
            Err(e) => Err(error(&format!(
                "cannot write the catalogue into {}: {e}",
                dir.display()
            ))),
        };
    }
    check_level_flags(level_flags)?;
    let format = Format::parse(&args.message_format).map_err(|e| error(&e))?;
    let color = use_color(args.color.as_deref());
    let (ws, opts) = workspace_and_options(args, level_flags, &|_| {})?;
    let progress = super::progress::Progress::start(super::progress::wanted(
        matches!(format, Format::Human | Format::Short),
        args.quiet,
    ));
    let mut report = engine::run(ws, &opts);
    progress.finish();
    apply_baseline(&mut report, args)?;
    if let Some(path) = &args.write_baseline {
        return Ok(write_baseline(&report, path));
    }
    if args.fix {
        apply_fixes(&mut report, args.diff, &mut stdout);
    }
    let tally = render(&report, format, color, &mut stdout)?;
    summarize(&report, format, &tally, args.quiet, &mut stdout);
    Ok(exit_code(&report, &tally, args.exit_zero))
}

/// `--explain LINT`: the lint's documentation; `--explain GROUP` (or `all`): the group's lints.
fn explain(stdout: &mut impl Write, name: &str) -> i32 {
    let group = crate::lints::lint::Group::parse(&name.replace('-', "_"));
    if group.is_some() || name == "all" {
        let lints: Vec<_> = registry::all()
            .iter()
            .filter(|l| group.is_none_or(|g| l.group == g))
            .collect();
        let _ = match group {
            Some(g) => writeln!(
                stdout,
                "{} (group of {} lints; `-A {}`, `-W {}` or `-D {}` sets them all)\n",
                g.as_str(),
                lints.len(),
                g.as_str(),
                g.as_str(),
                g.as_str()
            ),
            None => writeln!(stdout, "all ({} lints)\n", lints.len()),
        };
        for l in lints {
            let _ = writeln!(
                stdout,
                "  {:<26} {:<5} {}",
                l.name,
                l.default_level.to_string(),
                l.summary
            );
        }
        let _ = writeln!(
            stdout,
            "\n`cargo async-lint --explain LINT` gives a lint's documentation."
        );
        return EXIT_OK;
    }
    match registry::find(name) {
        Some(meta) => {
            let _ = writeln!(
                stdout,
                "{} ({} group, {} by default)\n{}\n\n{}",
                meta.name,
                meta.group.as_str(),
                meta.default_level,
                meta.summary,
                unindent_docs(meta.docs)
            );
            if let Some(url) = crate::report::catalogue::lint_url(meta.name) {
                let _ = writeln!(stdout, "\nIn the catalogue: {url}");
            }
            EXIT_OK
        }
        None => {
            let hint = registry::suggest(name)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            error(&format!(
                "no lint named `{name}`{hint}; `cargo async-lint --list` shows them all"
            ))
        }
    }
}

/// Checks command-line levels before anything else: an unknown lint or group is a warning
/// with the closest name, as rustc and Clippy say it, and the flag is ignored.
fn check_level_flags(level_flags: &LevelFlags) -> Result<(), i32> {
    for (_, level, spec) in level_flags {
        if let Err(e) = Levels::default().apply(spec, *level) {
            eprintln!("warning: {e}");
        }
    }
    Ok(())
}

/// Whether human output is coloured: `--color`, else `CARGO_TERM_COLOR` (as cargo reads it),
/// else on a terminal, as the common variables allow (`NO_COLOR` wins over `CLICOLOR_FORCE`).
fn use_color(flag: Option<&str>) -> bool {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let when = flag.map(str::to_string).or_else(|| var("CARGO_TERM_COLOR"));
    color_choice(when.as_deref(), &var, std::io::stderr().is_terminal())
}

/// [`use_color`] with the environment and the terminal given.
fn color_choice(when: Option<&str>, var: &dyn Fn(&str) -> Option<String>, tty: bool) -> bool {
    match when {
        Some("always") => true,
        Some("never") => false,
        _ => {
            if var("NO_COLOR").is_some() {
                false
            } else if var("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                true
            } else if var("CLICOLOR").is_some_and(|v| v == "0") {
                false
            } else {
                tty && var("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// The packages to lint: the given paths, or the cargo workspace.
fn load_workspace(args: &Args) -> Result<Workspace, i32> {
    let ws = if args.paths.is_empty() {
        discover::from_cargo(
            args.manifest_path.as_deref(),
            &args.packages,
            if args.workspace || !args.exclude.is_empty() {
                discover::Members::All
            } else {
                discover::Members::Default
            },
            !args.no_cache,
            &discover::CargoFlags {
                locked: args.locked || args.frozen,
                frozen: args.frozen,
                graph_ahead: !args.no_deps,
            },
        )
    } else {
        discover::from_paths(&args.paths)
    };
    ws.map_err(|e| error(&e.0))
}

/// The configuration: `--config`, or the file found from the workspace root.
fn load_config(args: &Args, root: &Path) -> Result<Loaded, i32> {
    let loaded = match &args.config {
        Some(p) => config::load(p),
        None => config::discover(root),
    };
    loaded.map_err(|e| error(&e.0))
}

/// Levels from the configuration file first, then the command line's (later wins).
fn resolve_levels(loaded: &Loaded, level_flags: &LevelFlags) -> Levels {
    let mut levels = Levels::default();
    loaded.apply_levels(&mut levels);
    for (_, level, spec) in level_flags {
        let _ = levels.apply(spec, *level);
    }
    levels
}

/// The options of the run: levels, threads, the configuration and its knowledge base.
fn run_options(args: &Args, loaded: Loaded, levels: Levels) -> Result<Options, i32> {
    let kb = match loaded.knowledge_base() {
        Ok(kb) => kb.map(std::sync::Arc::new),
        Err(e) => return Err(error(&e.0)),
    };
    Ok(Options {
        levels,
        jobs: args.jobs.unwrap_or(0),
        kb,
        config: loaded,
        ignore_suppressions: args.ignore_suppressions,
        // `--fix` writes what it computes from the files as they are now, never edits read
        // back from the cache (a stale or damaged entry must not reach the user's files).
        cache: !args.no_cache && !args.fix,
        summary_cache: !args.no_cache,
        deps: !args.no_deps && args.paths.is_empty(),
        verbose: args.verbose,
        derived: 0,
    })
}

/// `--baseline FILE`: hides the findings it records.
fn apply_baseline(report: &mut Report, args: &Args) -> Result<(), i32> {
    if let Some(path) = &args.baseline {
        match baseline::filter(report, path) {
            Ok(n) if n > 0 => eprintln!(
                "async-lint: {n} known findings hidden by the baseline {}",
                path.display()
            ),
            Ok(_) => {}
            Err(e) => return Err(error(&e)),
        }
    }
    Ok(())
}

/// `--write-baseline FILE`: records the findings, and ends the run.
fn write_baseline(report: &Report, path: &Path) -> i32 {
    match baseline::write(report, path) {
        Ok(n) => {
            eprintln!(
                "async-lint: wrote {n} findings to the baseline {}",
                path.display()
            );
            EXIT_OK
        }
        Err(e) => error(&e),
    }
}

/// `--fix`, or with `--diff` the diffs of the fixes.
fn apply_fixes(report: &mut Report, print_diff: bool, stdout: &mut impl Write) {
    let outcomes = fix::apply(report, print_diff);
    let mut fixed_files = std::collections::HashSet::new();
    for o in &outcomes {
        match o {
            fix::Outcome::Fixed { path, edits, diff } => {
                if print_diff {
                    let _ = write!(stdout, "{diff}");
                } else {
                    eprintln!(
                        "async-lint: fixed {edits} finding{} in {}",
                        if *edits == 1 { "" } else { "s" },
                        path.display()
                    );
                    fixed_files.insert(path.clone());
                }
            }
            fix::Outcome::Skipped { path, why } => {
                eprintln!("warning: not fixing {}: {why}", path.display());
            }
        }
    }
    // What was fixed is no longer a finding.
    for pkg in &mut report.packages {
        let files: Vec<bool> = pkg
            .files
            .iter()
            .map(|f| fixed_files.contains(&f.path))
            .collect();
        pkg.diagnostics
            .retain(|d| d.fix.is_empty() || !files[d.fix[0].file]);
    }
}

/// Findings counted by level.
struct Tally {
    errors: usize,
    warnings: usize,
    /// Of the warnings, the files that were not checked (`parse_error`): they do not fail the
    /// run, so that a limitation of the parser on valid code cannot break a CI gate.
    unchecked_warnings: usize,
}

impl Tally {
    /// Whether the findings fail the run (exit status 1).
    fn fails(&self) -> bool {
        self.errors + self.warnings > self.unchecked_warnings
    }
}

/// Writes every finding in the chosen format, and counts them.
fn render(
    report: &Report,
    format: Format,
    color: bool,
    stdout: &mut impl Write,
) -> Result<Tally, i32> {
    let mut tally = Tally {
        errors: 0,
        warnings: 0,
        unchecked_warnings: 0,
    };
    let mut stderr = std::io::stderr().lock();
    for (pkg, d) in report.diagnostics() {
        match d.level {
            Level::Deny => tally.errors += 1,
            Level::Warn => {
                tally.warnings += 1;
                tally.unchecked_warnings += usize::from(d.lint == PARSE_ERROR.name);
            }
            Level::Allow => {}
        }
        let res = match format {
            Format::Human | Format::JsonRenderDiagnostics => write!(
                stderr,
                "{}",
                human::render_human_with_deps(&report.root, pkg, d, color)
            ),
            // Diagnostics for people go to stderr, as cargo's `short` does.
            Format::Short => write!(stderr, "{}", human::short_line(pkg, d)),
            Format::Json(style) => writeln!(stdout, "{}", json::json_line(report, pkg, d, style)),
            Format::Github => write!(stdout, "{}", human::github_line(pkg, d)),
            Format::Sarif => Ok(()),
        };
        if res.is_err() {
            // Output closed (e.g. piped into `head`): stop quietly.
            return Err(EXIT_ERROR);
        }
    }
    Ok(tally)
}

/// What follows the findings: cargo's final JSON line, the SARIF log, or the summary line.
fn summarize(report: &Report, format: Format, tally: &Tally, quiet: bool, stdout: &mut impl Write) {
    let (errors, warnings) = (tally.errors, tally.warnings);
    let files: usize = report.packages.iter().map(|p| p.files_checked).sum();
    match format {
        Format::Json(_) | Format::JsonRenderDiagnostics => {
            let _ = writeln!(stdout, "{}", json::json_finished(!tally.fails()));
        }
        Format::Sarif => {
            let log = sarif::log(report);
            let _ = writeln!(
                stdout,
                "{}",
                serde_json::to_string_pretty(&log).unwrap_or_default()
            );
        }
        _ => {
            let files = plural(files, "file");
            let summary = if errors + warnings == 0 {
                format!("no findings in {files}")
            } else {
                format!(
                    "{}, {} in {files}",
                    plural(errors, "error"),
                    plural(warnings, "warning")
                )
            };
            if !quiet && (format == Format::Human || errors + warnings > 0) {
                let _ = writeln!(std::io::stderr().lock(), "async-lint: {summary}");
            }
        }
    }
}

/// `1 file`, `2 files`.
fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Cargo's member and target selection (`--exclude`, `--lib`, `--bin NAME`, ...), applied to
/// the discovered workspace.
fn select(ws: &mut Workspace, args: &Args) -> Result<(), i32> {
    let targets = discover::TargetSelection {
        lib: args.lib,
        bins: args.bins,
        bin: args.bin.clone(),
        tests: args.tests,
        test: args.test.clone(),
        examples: args.examples,
        example: args.example.clone(),
        benches: args.benches,
        bench: args.bench.clone(),
    };
    let asked = !args.exclude.is_empty()
        || !targets.is_all()
        || !args.features.is_empty()
        || args.no_default_features;
    if asked && ws.cargo.is_none() {
        return Err(error(
            "`--exclude`, the target flags (`--lib`, `--bin`, ...) and the feature flags select from a cargo workspace; they do not apply to given paths",
        ));
    }
    discover::exclude(ws, &args.exclude).map_err(|e| error(&e.0))?;
    discover::select_targets(ws, &targets).map_err(|e| error(&e.0))?;
    discover::select_features(
        ws,
        &args.features,
        args.no_default_features,
        args.all_features,
    )
    .map_err(|e| error(&e.0))
}

/// 2 when a file could not be read, 1 for findings (unless `--exit-zero`; a `parse_error` at
/// warn level is not one), else 0.
fn exit_code(report: &Report, tally: &Tally, exit_zero: bool) -> i32 {
    let unreadable: usize =
        report.unreadable + report.packages.iter().map(|p| p.unreadable).sum::<usize>();
    if unreadable > 0 {
        return EXIT_ERROR;
    }
    if tally.fails() && !exit_zero {
        return EXIT_FINDINGS;
    }
    EXIT_OK
}

/// The `--list` table (also embedded in the README, kept in sync by a test).
pub fn list_table() -> String {
    let mut s = String::from("| lint | group | default | what it finds |\n|---|---|---|---|\n");
    for l in registry::all() {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            l.name,
            l.group.as_str(),
            l.default_level,
            l.summary
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::color_choice;

    #[test]
    fn colour_follows_the_flag_then_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let none = env(&[]);
        // The flag (or CARGO_TERM_COLOR, which `use_color` reads in its place) wins.
        assert!(color_choice(
            Some("always"),
            &env(&[("NO_COLOR", "1")]),
            false
        ));
        assert!(!color_choice(
            Some("never"),
            &env(&[("CLICOLOR_FORCE", "1")]),
            true
        ));
        // Auto: a terminal, unless the environment says otherwise.
        assert!(color_choice(None, &none, true));
        assert!(color_choice(Some("auto"), &none, true));
        assert!(!color_choice(None, &none, false));
        assert!(!color_choice(None, &env(&[("NO_COLOR", "1")]), true));
        assert!(!color_choice(
            None,
            &env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]),
            true
        ));
        assert!(color_choice(None, &env(&[("CLICOLOR_FORCE", "1")]), false));
        assert!(!color_choice(None, &env(&[("CLICOLOR_FORCE", "0")]), false));
        assert!(!color_choice(None, &env(&[("CLICOLOR", "0")]), true));
        assert!(!color_choice(None, &env(&[("TERM", "dumb")]), true));
    }
}
