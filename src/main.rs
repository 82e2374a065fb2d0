//! The rtctool binary: parse arguments, run the command, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match rtctool::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version on stdout (exit 0) and usage errors on stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let code = match rtctool::cli::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        // The reader of a pipe went away (`rtctool ... | head`): nothing to say.
        Err(e) if e.kind() == rtctool::ErrorKind::OutputClosed => e.exit_code(),
        Err(e) => {
            eprintln!("rtctool: {e}");
            e.exit_code()
        }
    };
    ExitCode::from(code as u8)
}
