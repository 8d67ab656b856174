//! One run: loadgen as a child process with `--spawn` and `--json`, its
//! table (stdout) kept as NAME.md, its progress and errors (stderr) as
//! NAME.log, bounded in time; then its JSON read back.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::paths::Paths;
use super::plan::Run;
use super::record::Outcome;
use super::results;

/// Time loadgen gets past its own `--timeout` before it is killed.
const GRACE: Duration = Duration::from_secs(60);
/// How often the latest progress line is shown.
const SHOW_EVERY: Duration = Duration::from_secs(15);

/// The files of one run.
#[derive(Debug, Clone)]
pub struct Files {
    pub json: PathBuf,
    pub markdown: PathBuf,
    pub log: PathBuf,
}

impl Files {
    /// The files of `name` in `dir`.
    pub fn new(dir: &Path, name: &str) -> Self {
        Self {
            json: dir.join(format!("{name}.json")),
            markdown: dir.join(format!("{name}.md")),
            log: dir.join(format!("{name}.log")),
        }
    }
}

/// The loadgen arguments of `run` on this machine.
pub fn arguments(run: &Run, paths: &Paths, files: &Files, note: &str) -> Vec<String> {
    let mut args = run.args.clone();
    args.extend([
        "--spawn".into(),
        run.server.command(paths),
        "--json".into(),
        files.json.display().to_string(),
        "--timeout".into(),
        run.timeout.as_secs().to_string(),
        "--note".into(),
        note.into(),
    ]);
    args
}

/// Runs `run`, showing its latest progress line now and then with `show`;
/// returns how it ended and how long it took.
pub fn execute(
    run: &Run,
    paths: &Paths,
    files: &Files,
    note: &str,
    mut show: impl FnMut(&str),
) -> (Outcome, Duration) {
    let started = Instant::now();
    let outcome = match start(run, paths, files, note) {
        Err(e) => Outcome::Failed(e),
        Ok(mut child) => {
            let limit = run.timeout + GRACE;
            let mut shown = Instant::now();
            let status = loop {
                match child.try_wait() {
                    Ok(Some(status)) => break Ok(status),
                    Ok(None) if started.elapsed() > limit => {
                        let _ = child.kill();
                        let _ = child.wait();
                        stop_orphaned_server(run, files);
                        break Err(format!(
                            "loadgen did not end within {} s: killed",
                            limit.as_secs()
                        ));
                    }
                    Ok(None) => {}
                    Err(e) => break Err(format!("waiting for loadgen: {e}")),
                }
                if shown.elapsed() >= SHOW_EVERY {
                    shown = Instant::now();
                    if let Some(line) = last_line(&files.log) {
                        show(&line);
                    }
                }
                std::thread::sleep(Duration::from_millis(200));
            };
            match status {
                Err(e) => Outcome::Failed(e),
                Ok(status) if !status.success() => Outcome::Failed(format!(
                    "loadgen failed ({status}): {}",
                    error_lines(&files.log)
                )),
                Ok(_) => match results::read(&files.json) {
                    Ok(figures) => Outcome::Done(figures),
                    Err(e) => Outcome::Failed(format!("its JSON: {e}")),
                },
            }
        }
    };
    (outcome, started.elapsed())
}

fn start(
    run: &Run,
    paths: &Paths,
    files: &Files,
    note: &str,
) -> Result<std::process::Child, String> {
    let loadgen = paths.loadgen();
    let args = arguments(run, paths, files, note);
    let _ = std::fs::remove_file(&files.json);
    let mut log = File::create(&files.log).map_err(|e| format!("{}: {e}", files.log.display()))?;
    let _ = writeln!(log, "# {} {}", loadgen.display(), quoted(&args));
    let log = OpenOptions::new()
        .append(true)
        .open(&files.log)
        .map_err(|e| format!("{}: {e}", files.log.display()))?;
    let markdown =
        File::create(&files.markdown).map_err(|e| format!("{}: {e}", files.markdown.display()))?;
    Command::new(&loadgen)
        .args(&args)
        .current_dir(&paths.root)
        .stdin(Stdio::null())
        .stdout(markdown)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting {}: {e}", loadgen.display()))
}

/// Arguments as a shell would need them.
fn quoted(args: &[String]) -> String {
    let quote = |a: &String| {
        if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "\"'$`\\".contains(c)) {
            format!("'{}'", a.replace('\'', "'\\''"))
        } else {
            a.clone()
        }
    };
    args.iter().map(quote).collect::<Vec<_>>().join(" ")
}

/// The last non-empty line of a file.
fn last_line(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().rev().find(|l| !l.trim().is_empty()).map(|l| l.trim().to_string())
}

/// loadgen's error lines (`loadgen: …`), else the log's last three lines.
pub fn error_lines(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("loadgen:")).collect();
    if !errors.is_empty() {
        return errors.join(" / ");
    }
    let lines: Vec<&str> =
        text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("# ")).collect();
    let tail = &lines[lines.len().saturating_sub(3)..];
    if tail.is_empty() { "no output".into() } else { tail.join(" / ") }
}

/// The server's process id, from loadgen's `[scenario] server `…` (pid N)` line.
pub fn server_pid(log: &str) -> Option<u32> {
    log.lines().find(|l| l.starts_with('[') && l.contains("] server `")).and_then(|l| {
        let (_, rest) = l.rsplit_once("(pid ")?;
        rest.split(')').next()?.parse().ok()
    })
}

/// After loadgen was killed (it stops its server only when it ends by
/// itself): stops the server it had started, if that process is still the
/// server (its command line names the program).
fn stop_orphaned_server(run: &Run, files: &Files) {
    let log = std::fs::read_to_string(&files.log).unwrap_or_default();
    let Some(pid) = server_pid(&log) else { return };
    let program = match run.server.launch {
        super::servers::Launch::Binary { name, .. } => name,
        super::servers::Launch::Node { script } => script,
    };
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    if String::from_utf8_lossy(&cmdline).contains(program) {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::plan::{self, Preset, Scenario};
    use crate::suite::servers::ALL;

    #[test]
    fn loadgen_arguments() {
        let paths = Paths::fixed("/w".into(), "/w/target/release".into(), true);
        let runs = plan::runs(Preset::Smoke, &[Scenario::Churn], &[&ALL[0], &ALL[6]]);
        let files = Files::new(Path::new("/out"), &runs[1].name());
        let args = arguments(&runs[1], &paths, &files, "bench-suite: ws (tuned)");
        assert_eq!(
            quoted(&args),
            "churn --cycles 200 --concurrency 8 --warmup-cycles 20 --duration 10 \
             --spawn 'node crates/capstan-bench/peers/node/ws-server.mjs --tuned' \
             --json /out/churn--ws-tuned.json --timeout 120 --note 'bench-suite: ws (tuned)'"
        );
        let args =
            arguments(&runs[0], &paths, &Files::new(Path::new("/out"), &runs[0].name()), "n");
        assert!(args.contains(&"/w/target/release/capstan-bench-server".to_string()));
    }

    /// loadgen's own parser takes every run's command line, with the
    /// sizes the plan chose.
    #[test]
    fn loadgen_accepts_every_run() {
        use crate::loadgen::args::{self, Command, Server as Spawned};

        let paths = Paths::fixed("/w".into(), "/w/target/release".into(), true);
        let servers: Vec<_> = ALL.iter().collect();
        for preset in [Preset::Full, Preset::Smoke] {
            for run in plan::runs(preset, &Scenario::ALL, &servers) {
                let files = Files::new(Path::new("/out"), &run.name());
                let line = arguments(&run, &paths, &files, "bench-suite: -x");
                let options = match args::parse(line.clone()) {
                    Ok(Command::Run(options)) => options,
                    other => panic!("{line:?}: {other:?}"),
                };
                let command = run.server.command(&paths);
                let words: Vec<String> = command.split(' ').map(String::from).collect();
                assert_eq!(options.server, Spawned::Spawn(words), "{line:?}");
                assert_eq!(options.scenario.name(), run.scenario.loadgen_name());
                assert_eq!(
                    (options.timeout, options.json.as_deref()),
                    (run.timeout, Some(&*files.json))
                );
                assert_eq!(options.notes, ["bench-suite: -x"]);
            }
        }
    }

    #[test]
    fn log_readings() {
        let log = "# loadgen echo\n[echo] server `taskset -c 1 /x/capstan-bench-server` (pid 2731); server pinned\n\
                   [echo] measuring: 1 echoes/s\nloadgen: the server (x) has exited\n";
        assert_eq!(server_pid(log), Some(2731));
        assert_eq!(server_pid("nothing"), None);
        let dir = std::env::temp_dir().join(format!("bench-suite-runner-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.log");
        std::fs::write(&path, log).unwrap();
        assert_eq!(error_lines(&path), "loadgen: the server (x) has exited");
        assert_eq!(last_line(&path).as_deref(), Some("loadgen: the server (x) has exited"));
        std::fs::write(&path, "# cmd\na\nb\nc\nd\n").unwrap();
        assert_eq!(error_lines(&path), "b / c / d");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
