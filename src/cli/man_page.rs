//! `packaging/sports-nutrition.1`, the package's man page, written from the command line's own
//! definition: this test fails when the page and the commands differ, and
//! `SN_WRITE_MAN_PAGE=1 cargo test man_page` writes the page anew.

use clap::CommandFactory;

use super::Cli;

const PAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/sports-nutrition.1");

/// Text as roff prints it: backslashes, hyphens and a leading control character escaped.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// Every command, its sub-commands after it, with its usage and own options.
fn commands(command: &clap::Command, prefix: &str, out: &mut String) {
    for sub in command.get_subcommands().filter(|c| c.get_name() != "help") {
        let name = format!("{prefix}{}", sub.get_name());
        if sub.has_subcommands() {
            commands(sub, &format!("{name} "), out);
            continue;
        }
        let mut sub = sub.clone().bin_name(format!("sports-nutrition {name}"));
        let usage = sub.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ");
        out.push_str(&format!(".TP\n\\fB{}\\fR\n", roff(usage)));
        let about = sub.get_long_about().or(sub.get_about());
        out.push_str(&format!(
            "{}\n",
            roff(&about.map(|a| a.to_string()).unwrap_or_default())
        ));
        let args: Vec<_> = sub
            .get_arguments()
            .filter(|a| !a.is_global_set() && a.get_id() != "help")
            .collect();
        if !args.is_empty() {
            out.push_str(".RS\n");
            for arg in args {
                let value = arg.get_value_names().map_or_else(
                    || arg.get_id().as_str().to_uppercase(),
                    |names| names[0].to_string(),
                );
                let name = match arg.get_long() {
                    Some(long) if matches!(arg.get_action(), clap::ArgAction::SetTrue) => {
                        format!("--{long}")
                    }
                    Some(long) => format!("--{long} <{value}>"),
                    None => format!("<{value}>"),
                };
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                out.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(&name), roff(&help)));
            }
            out.push_str(".RE\n");
        }
    }
}

fn page() -> String {
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    let mut bytes = Vec::new();
    man.render_title(&mut bytes).unwrap();
    man.render_name_section(&mut bytes).unwrap();
    man.render_synopsis_section(&mut bytes).unwrap();
    man.render_description_section(&mut bytes).unwrap();
    man.render_options_section(&mut bytes).unwrap();
    let mut page = String::from_utf8(bytes).unwrap();
    page.push_str(".SH COMMANDS\n");
    commands(&command, "", &mut page);
    page.push_str(include_str!("man_page_tail.roff"));
    page
}

#[test]
fn man_page_matches_the_commands() {
    let page = page();
    if std::env::var_os("SN_WRITE_MAN_PAGE").is_some() {
        std::fs::write(PAGE, &page).unwrap();
    }
    let written = std::fs::read_to_string(PAGE).unwrap_or_default();
    assert!(
        written == page,
        "{PAGE} is not what the commands say; write it anew with SN_WRITE_MAN_PAGE=1 cargo test man_page"
    );
    for command in [
        "serve",
        "backup restore",
        "admin create\\-user",
        "config check",
        "check",
    ] {
        assert!(
            page.contains(&format!("sports\\-nutrition {command}")),
            "{command}"
        );
    }
}
