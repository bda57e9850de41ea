# The organisation's revocation list (issue 18, docs/revocation.md): data.revoked, read from the owner's `.github`
# repository, never from the repository's own config. What it names is denied by the rule `revoked` of both decisions,
# always enforced: it is no section of rules, so rule modes and shadow mode never hold it back.
# (Beside lib.rego, at policies/rego/, for the reason given there.)
package agent_gate.lib

default revoked := {}

revoked := data.revoked

revocation_source := object.get(revoked, "source", "the organisation's revocation list")

# The list names anything at all.
revocation_listed if {
	some kind in ["signers", "certificates", "rekor_entries", "models", "agents", "commit_keys"]
	count(_entries(kind)) > 0
}

_entries(kind) := object.get(revoked, kind, [])

# Each revoked item an attestation's facts match, as {kind, item, reason}: item names it for the reviewer.
revoked_matches(a) := {m |
	some kind in ["signers", "certificates", "rekor_entries", "models", "agents", "commit_keys"]
	some e in _entries(kind)
	item := _revoked_item(kind, e, a)
	m := {"kind": kind, "item": item, "reason": object.get(e, "reason", "")}
}

_signer(a) := object.union({"type": "certificate"}, object.get(a, "signer", {}))

_revoked_item("signers", e, a) := concat("", ["signer `", _signer_name(s), "`"]) if {
	s := _signer(a)
	_revoked_signer(e, s)
}

_revoked_item("certificates", e, a) := concat("", ["certificate ", e.fingerprint]) if {
	_certificate_named(e, _signer(a))
}

_revoked_item("rekor_entries", e, a) := concat("", ["Rekor entry ", e.log_index, " of log ", substring(e.log_id, 0, 16)]) if {
	a.rekor_log_index == e.log_index
	a.rekor_log_id == e.log_id
}

_revoked_item("rekor_entries", e, a) := concat("", ["Rekor entry ", e.uuid]) if {
	a.rekor_entry_uuid == e.uuid
}

_revoked_item("models", e, a) := concat("", ["model ", e.model, _version_note(e)]) if {
	some m in _models(a)
	_named_fits(e.model, e, m.id, m)
}

_revoked_item("agents", e, a) := concat("", ["agent ", e.name, _version_note(e)]) if {
	some g in _agents(a)
	_named_fits(e.name, e, g.name, g)
}

_revoked_item("commit_keys", e, a) := concat("", ["commit signing certificate ", e.fingerprint]) if {
	a.tier == "signed-commit"
	_certificate_named(e, _signer(a))
}

# A certificate is named by the sha256 of its TBSCertificate (what its CA signed), or of its DER. The DER's is not the
# certificate's identity: whoever holds a certificate can re-encode its CA's signature (an ECDSA signature (r, s)
# verifies as (r, n - s) too) and post it under another DER fingerprint; without a transparency log pinning the bytes
# (GitHub's own Sigstore instance) it verifies. The TBS fingerprint is the same for every encoding.
_certificate_named(e, s) if s.certificate_tbs_fingerprint == e.fingerprint

_certificate_named(e, s) if s.certificate_fingerprint == e.fingerprint

# The signer forms of rules.signers, and a platform signer (an agent account GitHub signed for) by identity and issuer.
_revoked_signer(e, s) if signer_matches(e, s)

# Identities compare case-insensitively here (revocation only tightens): Alice@Example.com names alice@example.com.
_revoked_signer(e, s) if {
	s.type != "platform"
	is_string(e.identity)
	is_string(s.identity)
	lower(trim_space(e.identity)) == lower(s.identity)
	_issuer_fits(e, s)
}

_revoked_signer(e, s) if {
	is_string(e.identity_pattern)
	is_string(s.identity)
	_issuer_fits(e, s)
	regex.match(concat("", ["^(?i:", e.identity_pattern, ")$"]), s.identity)
}

# A platform signer is an account: the entry names it by any login GitHub uses for it (REST `Copilot`, GraphQL
# `copilot-swe-agent[bot]`), resolved to the account id through the known agent accounts (agent_accounts.rego).
_revoked_signer(e, s) if {
	s.type == "platform"
	is_string(e.identity)
	object.get(e, "issuer", "https://github.com") == s.issuer
	_platform_login_fits(lower(trim_space(e.identity)), s)
}

_issuer_fits(e, _) if not has_key(e, "issuer")

_issuer_fits(e, s) if e.issuer == s.issuer

_platform_login_fits(login, s) if login == lower(s.identity)

_platform_login_fits(login, s) if login == lower(s.account.login)

_platform_login_fits(login, s) if known_agent_account_ids[login] == s.account.id

# Names (model ids, agent names) compare trimmed and lower-case. An entry names a claim when the claim is it or
# carries a suffix after `-`, `@` or `:` (anthropic/claude-sonnet-4-5-20250929, claude-code@1.2): with no version,
# every such claim; with one, a claim whose version or suffix is it (separators `-`, `.`, `_` ignored), and a claim
# with no version at all (nothing shows it is another version).
_named_fits(name, e, id, claim) if {
	_norm(id) == _norm(name)
	_version_fits(e, claim, "")
}

_named_fits(name, e, id, claim) if {
	n := _norm(name)
	i := _norm(id)
	some sep in ["-", "@", ":"]
	startswith(i, concat("", [n, sep]))
	_version_fits(e, claim, substring(i, count(n) + 1, -1))
}

_signer_name(s) := s.identity if is_string(s.identity)

_signer_name(s) := concat("", ["key ", s.key_hint]) if {
	not string_at(s, ["identity"])
	is_string(s.key_hint)
}

_signer_name(s) := "(unnamed)" if {
	not string_at(s, ["identity"])
	not string_at(s, ["key_hint"])
}

# The statement's model and every model it names (subagents', tools').
_models(a) := array.concat([m | m := a.model; is_string(m.id)], [m | some m in object.get(a, "models", []); is_string(m.id)])

# The statement's agent (its runtime) and its subagents' runtimes.
_agents(a) := array.concat([g | g := a.agent; is_string(g.name)], [g | some g in object.get(a, "agents", []); is_string(g.name)])

_norm(x) := lower(trim_space(x))

_vnorm(x) := strings.replace_n({"-": "", ".": "", "_": ""}, _norm(x))

_version_fits(e, _, _) if not has_key(e, "version")

_version_fits(e, claim, _) if _vnorm(e.version) == _vnorm(claim.version)

_version_fits(e, claim, _) if {
	is_string(e.version)
	not string_at(claim, ["version"])
}

_version_fits(e, _, suffix) if {
	suffix != ""
	_vnorm(e.version) == _vnorm(suffix)
}

_version_note(e) := concat("", [" version ", e.version]) if is_string(e.version)

_version_note(e) := "" if not has_key(e, "version")

reason_note(m) := concat("", [": ", m.reason]) if m.reason != ""

reason_note(m) := "" if m.reason == ""
