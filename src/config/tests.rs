use figment::Jail;

use super::*;

#[test]
fn defaults_are_valid_and_need_no_file() {
    Jail::expect_with(|_jail| {
        let config = Config::load(None).unwrap();
        assert_eq!(config.server.port, 8080);
        assert!(config.database.url.is_none());
        assert_eq!(config.storage.data_dir, PathBuf::from("data"));
        Ok(())
    });
}

#[test]
fn repository_config_toml_matches_the_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
    Jail::expect_with(|_| {
        let from_file = Config::load(Some(&path)).unwrap();
        assert_eq!(
            from_file.to_redacted_toml(),
            Config::default().to_redacted_toml()
        );
        Ok(())
    });
}

/// The package's /etc/sports-nutrition/config.toml is the repository's file with the package's
/// data directory: documentation and defaults cannot drift apart.
#[test]
fn packaged_config_toml_is_the_repository_one_with_the_package_paths() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repository = std::fs::read_to_string(root.join("config.toml")).unwrap();
    let packaged = std::fs::read_to_string(root.join("packaging/config.toml")).unwrap();
    let (header, body) = packaged
        .split_once("\n#\n")
        .expect("a header paragraph ending in an empty comment line");
    assert!(header.contains("storage.data_dir"), "{header}");
    let (_, repository_body) = repository.split_once("\n#\n").unwrap();
    assert_eq!(
        body,
        repository_body.replacen(
            "data_dir = \"data\"\n",
            "data_dir = \"/var/lib/sports-nutrition\"\n",
            1
        ),
        "packaging/config.toml must be config.toml with the package's data_dir"
    );
    Jail::expect_with(|_| {
        let config = Config::load(Some(&root.join("packaging/config.toml"))).unwrap();
        assert_eq!(
            config.storage.data_dir,
            Path::new("/var/lib/sports-nutrition")
        );
        assert_eq!(
            config.backup_dir(),
            Path::new("/var/lib/sports-nutrition/backups")
        );
        Ok(())
    });
}

#[test]
fn trusted_proxies_are_addresses_or_networks() {
    Jail::expect_with(|jail| {
        jail.set_env(
            "SN_SECURITY__TRUSTED_PROXIES",
            r#"["10.0.0.10", "192.168.1.0/24", "::1"]"#,
        );
        let config = Config::load(None).unwrap();
        let shown: Vec<String> = config
            .security
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown, ["10.0.0.10/32", "192.168.1.0/24", "::1/128"]);
        jail.set_env("SN_SECURITY__TRUSTED_PROXIES", r#"["10.0.0.300"]"#);
        let error = Config::load(None).unwrap_err().to_string();
        assert!(error.contains("neither an IP address"), "{error}");
        Ok(())
    });
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// A configuration file is outside data: whatever it holds, loading answers with a
    /// configuration or an error naming what is wrong, never a panic.
    #[test]
    fn any_config_file_loads_or_is_refused(
        lines in proptest::collection::vec(
            "(\\[[a-z_.]{0,20}\\]|[a-z_]{1,24} = (\"[^\"\\\\]{0,30}\"|-?[0-9]{1,25}|true|false|\\[\\]|[0-9.e+-]{1,12})|\\PC{0,40})",
            0..20,
        ),
    ) {
        let text = lines.join("\n");
        Jail::expect_with(|jail| {
            jail.create_file("config.toml", &text)?;
            match Config::load(Some(&jail.directory().join("config.toml"))) {
                Ok(config) => assert!(config.validate().is_ok()),
                Err(e) => assert!(!e.to_string().is_empty()),
            }
            Ok(())
        });
    }
}

#[test]
fn environment_overrides_nested_keys() {
    Jail::expect_with(|jail| {
        jail.set_env("SN_SERVER__PORT", "9001");
        jail.set_env("SN_LOG__FORMAT", "json");
        jail.set_env("SN_CONFIG", "/etc/ignored.toml");
        let config = Config::load(None).unwrap();
        assert_eq!(config.server.port, 9001);
        assert_eq!(config.log.format, LogFormat::Json);
        Ok(())
    });
}

#[test]
fn secrets_come_from_files_and_are_redacted() {
    Jail::expect_with(|jail| {
        jail.create_file("db", "postgres://app:s3cret@db.internal/app\n")?;
        let path = jail.directory().join("db");
        jail.set_env("SN_DATABASE__URL_FILE", path.display());
        let config = Config::load(None).unwrap();
        assert_eq!(
            config.database.url.as_ref().unwrap().expose_secret(),
            "postgres://app:s3cret@db.internal/app"
        );
        let shown = config.to_redacted_toml();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("[redacted]"));
        assert!(!format!("{config:?}").contains("s3cret"));
        Ok(())
    });
}

#[test]
fn systemd_credentials_provide_secrets() {
    Jail::expect_with(|jail| {
        std::fs::create_dir(jail.directory().join("creds")).unwrap();
        jail.create_file("creds/database.url", "postgres://u:pw@h/db")?;
        jail.set_env(
            "CREDENTIALS_DIRECTORY",
            jail.directory().join("creds").display(),
        );
        let config = Config::load(None).unwrap();
        assert_eq!(
            config.database.url.unwrap().expose_secret(),
            "postgres://u:pw@h/db"
        );
        Ok(())
    });
}

#[test]
fn invalid_values_name_their_key() {
    Jail::expect_with(|jail| {
        jail.set_env("SN_DATABASE__MAX_CONNECTIONS", "0");
        jail.set_env("SN_DATABASE__URL", "mysql://x");
        let err = Config::load(None).unwrap_err().to_string();
        assert!(err.contains("database.max_connections"), "{err}");
        assert!(err.contains("database.url"), "{err}");
        jail.clear_env();
        jail.set_env("SN_BACKUP__S3__BUCKET", "club-backups");
        jail.set_env("SN_BACKUP__S3__ENDPOINT", "ftp://files.club.rs");
        jail.set_env("SN_BACKUP__S3__ACCESS_KEY_ID", "AKIA");
        jail.set_env("SN_ALERTS__EMAIL__SMTP_HOST", "smtp.club.rs");
        jail.set_env("SN_ALERTS__DISK_PCT", "180");
        jail.set_env("SN_SELF_CHECK__WINDOW_SECS", "1");
        let err = Config::load(None).unwrap_err().to_string();
        for key in [
            "backup.s3.endpoint",
            "backup.s3.secret_access_key",
            "alerts.email.to",
            "alerts.email.from",
            "alerts.disk_pct",
            "self_check.window_secs",
        ] {
            assert!(err.contains(key), "{key}: {err}");
        }
        jail.clear_env();
        jail.set_env("SN_CACHE__BACKEND", "memcached");
        let err = Config::load(None).unwrap_err().to_string().to_lowercase();
        assert!(err.contains("cache.backend"), "{err}");
        assert!(err.contains("memory") && err.contains("redis"), "{err}");
        jail.clear_env();
        jail.set_env("SN_SERVER__PORT", "http");
        let err = Config::load(None).unwrap_err().to_string().to_lowercase();
        assert!(err.contains("server.port"), "{err}");
        Ok(())
    });
}

#[test]
fn acme_settings_are_checked_and_name_their_key() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "c.toml",
            r#"
            [tls]
            mode = "acme"
            [tls.acme]
            domains = ["club.example.rs", "*.example.rs", "127.0.0.1", "-bad-.rs"]
            contact = ["not an address"]
            directory_url = "http://ca.example.rs/directory"
            challenge = "http-01"
            eab_key_id = "kid"
            retry_initial_secs = 600
            retry_max_secs = 60
            "#,
        )?;
        let err = Config::load(Some(&jail.directory().join("c.toml")))
            .unwrap_err()
            .to_string();
        for wanted in [
            "\"*.example.rs\" is not a DNS name",
            "\"127.0.0.1\" is not a DNS name",
            "\"-bad-.rs\" is not a DNS name",
            "tls.acme.contact",
            "tls.acme.directory_url",
            "tls.acme.eab_key_id, tls.acme.eab_hmac_key",
            "tls.http_port: required with tls.acme.challenge = \"http-01\"",
            "tls.acme.retry_max_secs",
        ] {
            assert!(err.contains(wanted), "{wanted}: {err}");
        }
        assert!(!err.contains("\"club.example.rs\""), "{err}");
        jail.create_file("d.toml", "[tls]\nmode = \"acme\"\n")?;
        let err = Config::load(Some(&jail.directory().join("d.toml")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("tls.acme.domains: at least one"), "{err}");
        // A valid one: the storage key is a secret, redacted, and a short one is weak.
        jail.create_file(
            "e.toml",
            "[tls]\nmode = \"acme\"\n[tls.acme]\ndomains = [\"Club.Example.rs\", \"www.club.example.rs\"]\n",
        )?;
        jail.set_env("SN_TLS__ACME__STORAGE_KEY", "short");
        let config = Config::load(Some(&jail.directory().join("e.toml"))).unwrap();
        assert_eq!(config.tls.acme.directory_url, LETS_ENCRYPT_PRODUCTION);
        assert_eq!(config.tls.acme.challenge, AcmeChallenge::TlsAlpn01);
        assert_eq!(
            config.tls.acme.certificate_name(),
            "club.example.rs,www.club.example.rs"
        );
        assert!(!config.to_redacted_toml().contains("short"));
        assert!(
            config
                .weak_secrets()
                .iter()
                .any(|w| w.starts_with("tls.acme.storage_key"))
        );
        // Nodes on a shared database need the key given, not made up by each: said when the
        // configuration is read, before any work.
        jail.clear_env();
        jail.set_env("SN_DATABASE__URL", "postgres://sn@db.example.rs/sn");
        let err = Config::load(Some(&jail.directory().join("e.toml")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("tls.acme.storage_key: required"), "{err}");
        jail.set_env("SN_SECURITY__MODE", "development");
        Config::load(Some(&jail.directory().join("e.toml"))).unwrap();
        Ok(())
    });
}

#[test]
fn unknown_keys_are_rejected() {
    Jail::expect_with(|jail| {
        jail.create_file("c.toml", "[server]\nprot = 1\n")?;
        let err = Config::load(Some(&jail.directory().join("c.toml")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("prot"), "{err}");
        Ok(())
    });
}
