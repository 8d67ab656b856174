use super::*;

fn as_offered() -> DeflateConfig {
    DeflateConfig::as_offered()
}

fn answer(header: &str, config: &DeflateConfig) -> Option<String> {
    negotiate([header], config).map(|(_, answer)| answer)
}

fn params(header: &str, config: &DeflateConfig) -> DeflateParams {
    negotiate([header], config).expect("accepted").0
}

#[test]
fn plain_offer_is_accepted_as_offered() {
    assert_eq!(answer("permessage-deflate", &as_offered()).as_deref(), Some("permessage-deflate"));
    let p = params("permessage-deflate", &as_offered());
    assert!(!p.server_no_context_takeover && !p.client_no_context_takeover);
    assert_eq!((p.server_max_window_bits, p.client_max_window_bits), (15, 15));
}

#[test]
fn default_config_asks_for_no_context_takeover_both_ways() {
    let answer = answer("permessage-deflate", &DeflateConfig::default()).unwrap();
    assert_eq!(
        answer,
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
    );
}

#[test]
fn disabled_config_accepts_nothing() {
    assert_eq!(answer("permessage-deflate", &DeflateConfig::disabled()), None);
}

#[test]
fn server_no_context_takeover_offered_is_echoed() {
    let header = "permessage-deflate; server_no_context_takeover";
    assert_eq!(answer(header, &as_offered()).as_deref(), Some(header));
    assert!(params(header, &as_offered()).server_no_context_takeover);
}

#[test]
fn client_no_context_takeover_offered_is_echoed() {
    let header = "permessage-deflate; client_no_context_takeover";
    assert_eq!(answer(header, &as_offered()).as_deref(), Some(header));
    assert!(params(header, &as_offered()).client_no_context_takeover);
}

#[test]
fn server_max_window_bits_is_honoured_and_echoed() {
    let header = "permessage-deflate; server_max_window_bits=10";
    assert_eq!(answer(header, &as_offered()).as_deref(), Some(header));
    assert_eq!(params(header, &as_offered()).server_max_window_bits, 10);
}

#[test]
fn server_window_is_the_smaller_of_offer_and_config() {
    let config = DeflateConfig { server_max_window_bits: 12, ..as_offered() };
    let header = "permessage-deflate; server_max_window_bits=14";
    assert_eq!(
        answer(header, &config).as_deref(),
        Some("permessage-deflate; server_max_window_bits=12")
    );
    // Not offered: the server may still announce its smaller window.
    assert_eq!(
        answer("permessage-deflate", &config).as_deref(),
        Some("permessage-deflate; server_max_window_bits=12")
    );
}

#[test]
fn server_window_of_8_declines_the_offer() {
    assert_eq!(answer("permessage-deflate; server_max_window_bits=8", &as_offered()), None);
    // ... and the next offer is taken instead.
    let header = "permessage-deflate; server_max_window_bits=8, permessage-deflate";
    assert_eq!(answer(header, &as_offered()).as_deref(), Some("permessage-deflate"));
}

#[test]
fn client_max_window_bits_without_value_is_not_answered() {
    let answer = answer("permessage-deflate; client_max_window_bits", &as_offered());
    assert_eq!(answer.as_deref(), Some("permessage-deflate"));
}

#[test]
fn client_max_window_bits_with_value_is_echoed() {
    let header = "permessage-deflate; client_max_window_bits=9";
    assert_eq!(answer(header, &as_offered()).as_deref(), Some(header));
    assert_eq!(params(header, &as_offered()).client_max_window_bits, 9);
}

#[test]
fn client_max_window_bits_never_answered_unless_offered() {
    let config = DeflateConfig { client_no_context_takeover: true, ..as_offered() };
    let answer = answer("permessage-deflate", &config).unwrap();
    assert!(!answer.contains("client_max_window_bits"), "{answer}");
}

#[test]
fn quoted_values_are_accepted() {
    let header = "permessage-deflate; server_max_window_bits=\"10\"";
    assert_eq!(params(header, &as_offered()).server_max_window_bits, 10);
}

#[test]
fn every_invalid_window_value_declines() {
    for value in ["7", "16", "0", "08", "010", "1O", "", "ten", "-9", "9.0", "1 5"] {
        let header = format!("permessage-deflate; server_max_window_bits={value}");
        assert_eq!(answer(&header, &as_offered()), None, "server {value:?}");
        let header = format!("permessage-deflate; client_max_window_bits={value}");
        assert_eq!(answer(&header, &as_offered()), None, "client {value:?}");
    }
}

#[test]
fn flags_with_values_decline() {
    for header in [
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=true",
        "permessage-deflate; server_max_window_bits",
    ] {
        assert_eq!(answer(header, &as_offered()), None, "{header}");
    }
}

#[test]
fn unknown_parameter_declines() {
    assert_eq!(answer("permessage-deflate; foo", &as_offered()), None);
    let declined = Offer::parse(&[("foo".into(), None)]).unwrap_err();
    assert_eq!(declined, OfferDeclined::UnknownParameter("foo".into()));
}

#[test]
fn duplicate_parameter_declines() {
    let header = "permessage-deflate; server_no_context_takeover; server_no_context_takeover";
    assert_eq!(answer(header, &as_offered()), None);
    let header = "permessage-deflate; client_max_window_bits=10; client_max_window_bits";
    assert_eq!(answer(header, &as_offered()), None);
}

#[test]
fn first_acceptable_offer_wins_across_headers() {
    let headers = [
        "x-webkit-deflate-frame",
        "permessage-deflate; bogus, permessage-deflate; server_max_window_bits=11, permessage-deflate",
    ];
    let (params, answer) = negotiate(headers, &as_offered()).unwrap();
    assert_eq!(params.server_max_window_bits, 11);
    assert_eq!(answer, "permessage-deflate; server_max_window_bits=11");
}

#[test]
fn chromium_offer() {
    let header = "permessage-deflate; client_max_window_bits";
    let (params, answer) = negotiate([header], &DeflateConfig::default()).unwrap();
    assert_eq!(
        answer,
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
    );
    assert!(params.server_no_context_takeover && params.client_no_context_takeover);
}

#[test]
fn other_extensions_are_ignored() {
    assert_eq!(answer("x-custom; a=1", &as_offered()), None);
}
