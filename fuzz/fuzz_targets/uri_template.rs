//! A template and a URI from the input (split at the first NUL): parsing and matching never
//! panic, and a template with no variables matches exactly itself.
#![no_main]
use fastmcp::uri_template::UriTemplate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (template, uri) = text.split_once('\0').unwrap_or((text, text));
    if let Ok(t) = UriTemplate::parse(template) {
        let matched = t.matches(uri);
        if t.variables().is_empty() && !template.contains('{') {
            assert_eq!(matched.is_some(), template == uri);
        }
        if let Some(vars) = matched {
            for name in vars.keys() {
                assert!(t.variables().contains(&name.as_str()));
            }
        }
    }
});
