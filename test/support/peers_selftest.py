"""Tests of the real peers of issue 7: oidc-provider as key manager (oauth_harness) and etcd
(etcd_harness). No gateway needed."""

import base64
import json
import time
import unittest

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import etcd_harness as eh
import mgw_harness as h
import oauth_harness as oh


def _b64url_int(text):
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def verify_rs256(token, jwks):
    """Verifies a compact JWS against a JWKS (by kid); returns the payload or raises."""
    header, payload = oh.decode_jwt(token)
    if header.get("alg") != "RS256":
        raise InvalidSignature("alg %r" % header.get("alg"))
    keys = [k for k in jwks["keys"] if k.get("kid") == header.get("kid")]
    if len(keys) != 1 or keys[0]["kty"] != "RSA":
        raise InvalidSignature("no RSA key with kid %r" % header.get("kid"))
    public = rsa.RSAPublicNumbers(_b64url_int(keys[0]["e"]), _b64url_int(keys[0]["n"])).public_key()
    signing_input, _, sig = token.rpartition(".")
    public.verify(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)), signing_input.encode(),
                  padding.PKCS1v15(), hashes.SHA256())
    return payload


def tamper_payload(token, **changes):
    head, body, sig = token.split(".")
    claims = oh.decode_jwt(token)[1]
    claims.update(changes)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return "%s.%s.%s" % (head, body, sig)


class OAuthServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.km = oh.OAuthServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.km.cleanup()

    def test_discovery_lists_the_endpoints(self):
        doc = self.km.get_json("/.well-known/openid-configuration")
        self.assertEqual(doc["issuer"], self.km.issuer)
        self.assertEqual(doc["jwks_uri"], self.km.jwks_url)
        self.assertEqual(doc["token_endpoint"], self.km.token_url)
        self.assertEqual(doc["introspection_endpoint"], self.km.introspection_url)
        self.assertEqual(doc["revocation_endpoint"], self.km.revocation_url)

    def test_jwks_has_an_rsa_signing_key(self):
        keys = self.km.jwks()["keys"]
        self.assertTrue(keys)
        rsa_keys = [k for k in keys if k["kty"] == "RSA" and k.get("use") == "sig"]
        self.assertTrue(rsa_keys, keys)
        self.assertIn(self.km.keys()["current_kid"], [k["kid"] for k in rsa_keys])
        for k in keys:
            self.assertNotIn("d", k, "private key material in the JWKS")

    def test_jwt_verifies_and_has_the_claims(self):
        before = int(time.time())
        response = self.km.token_response("read write", self.km.resource)
        token = response["access_token"]
        self.assertEqual(response["token_type"], "Bearer")
        header, _ = oh.decode_jwt(token)
        self.assertEqual(header["alg"], "RS256")
        self.assertEqual(header["kid"], self.km.keys()["current_kid"])
        claims = verify_rs256(token, self.km.jwks())
        self.assertEqual(claims["iss"], self.km.issuer)
        self.assertEqual(claims["aud"], self.km.resource)
        self.assertEqual(claims["client_id"], self.km.client_id)
        self.assertEqual(set(claims["scope"].split()), {"read", "write"})
        self.assertGreaterEqual(claims["exp"], before + 590)
        self.assertTrue(claims["jti"])
        with self.assertRaises(InvalidSignature):
            verify_rs256(tamper_payload(token, scope="read write admin"), self.km.jwks())

    def test_second_resource_gives_another_audience(self):
        claims = oh.decode_jwt(self.km.get_jwt("read", self.km.other_resource))[1]
        self.assertEqual(claims["aud"], self.km.other_resource)

    def test_scope_outside_the_client_is_refused(self):
        gateway = (self.km.gateway_client_id, self.km.gateway_client_secret)
        with self.assertRaises(oh.OAuthError) as cm:
            self.km.get_jwt("write", client=gateway)
        self.assertEqual(cm.exception.status, 400)
        self.assertIn("invalid_scope", cm.exception.body)

    def test_unknown_resource_is_refused(self):
        with self.assertRaises(oh.OAuthError) as cm:
            self.km.get_jwt("read", "http://nowhere.test/")
        self.assertIn("invalid_target", cm.exception.body)

    def test_opaque_token_introspects_active_then_inactive_after_revoke(self):
        token = self.km.get_opaque("read write")
        self.assertEqual(token.count("."), 0, "not opaque: %s" % token)
        answer = self.km.introspect(token)
        self.assertIs(answer["active"], True, answer)
        self.assertEqual(answer["client_id"], self.km.client_id)
        self.assertEqual(set(answer["scope"].split()), {"read", "write"})
        self.assertEqual(answer["iss"], self.km.issuer)
        self.km.revoke(token)
        self.assertEqual(self.km.introspect(token), {"active": False})
        self.assertEqual(self.km.introspect("not-a-token"), {"active": False})

    def test_introspection_needs_client_authentication(self):
        token = self.km.get_opaque("read")
        with self.assertRaises(oh.OAuthError) as cm:
            self.km.introspect(token, client=(self.km.gateway_client_id, "wrong"))
        self.assertEqual(cm.exception.status, 401)

    def test_rotate_keys_changes_the_kid(self):
        opaque = self.km.get_opaque("read")
        old_kid = self.km.keys()["current_kid"]
        old_jwt = self.km.get_jwt("read")
        answer = self.km.rotate_keys(keep_old=True)
        self.assertEqual(answer["previous_kid"], old_kid)
        new_kid = answer["current_kid"]
        self.assertNotEqual(new_kid, old_kid)
        kids = [k["kid"] for k in self.km.jwks()["keys"]]
        self.assertEqual(kids, [new_kid, old_kid])
        new_jwt = self.km.get_jwt("read")
        self.assertEqual(oh.decode_jwt(new_jwt)[0]["kid"], new_kid)
        verify_rs256(new_jwt, self.km.jwks())
        verify_rs256(old_jwt, self.km.jwks())
        # Without keep_old the previous key leaves the JWKS: old tokens' kid is unknown.
        newest = self.km.rotate_keys(keep_old=False)["current_kid"]
        self.assertEqual([k["kid"] for k in self.km.jwks()["keys"]], [newest])
        with self.assertRaises(InvalidSignature):
            verify_rs256(new_jwt, self.km.jwks())
        # Opaque tokens outlive a rotation (same process, same token store).
        self.assertIs(self.km.introspect(opaque)["active"], True)

    def test_sign_crafts_tokens_with_the_provider_key(self):
        now = int(time.time())
        token = self.km.sign({"aud": self.km.resource, "scope": "read", "exp": now - 60,
                              "nbf": now + 3600, "jti": None})
        claims = verify_rs256(token, self.km.jwks())
        self.assertEqual(claims["exp"], now - 60)
        self.assertEqual(claims["nbf"], now + 3600)
        self.assertEqual(claims["iss"], self.km.issuer)
        self.assertNotIn("jti", claims)
        self.assertEqual(oh.decode_jwt(token)[0]["kid"], self.km.keys()["current_kid"])
        none = self.km.sign({"aud": self.km.resource}, header={"alg": "none"})
        self.assertEqual(oh.decode_jwt(none)[0]["alg"], "none")

    def test_outage_and_stats(self):
        before = self.km.stats().get("/jwks", 0)
        self.km.set_outage({"/jwks": 503})
        self.addCleanup(self.km.set_outage, {})
        with self.assertRaises(oh.OAuthError) as cm:
            self.km.jwks()
        self.assertEqual(cm.exception.status, 503)
        self.km.get_opaque("read")  # the token endpoint still works
        self.km.set_outage({})
        self.assertTrue(self.km.jwks()["keys"])
        self.assertEqual(self.km.stats()["/jwks"], before + 2)


class OAuthServerRestartTest(unittest.TestCase):
    def test_keys_and_tokens_survive_a_restart_and_short_ttl_config(self):
        config = {"resources": {"http://short.test/": {"scope": "read", "ttl": 2}}}
        km = oh.OAuthServer(config=config).start()
        self.addCleanup(km.cleanup)
        kid = km.keys()["current_kid"]
        opaque, revoked = km.get_opaque("read"), km.get_opaque("read")
        km.revoke(revoked)
        token = km.token_response("read", "http://short.test/")
        self.assertEqual(token["expires_in"], 2)
        claims = oh.decode_jwt(token["access_token"])[1]
        self.assertEqual(claims["exp"] - claims["iat"], 2)
        km.stop()
        self.assertFalse(h.port_open(km.host, km.port))
        km.start()
        self.assertEqual(km.keys()["current_kid"], kid)
        verify_rs256(token["access_token"], km.jwks())
        self.assertIs(km.introspect(opaque)["active"], True)
        self.assertIs(km.introspect(revoked)["active"], False)


class EtcdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = eh.Etcd().start()

    @classmethod
    def tearDownClass(cls):
        cls.etcd.cleanup()

    def test_version_is_3_4_with_v2(self):
        status, body = self.etcd.request("GET", "/version")
        self.assertEqual(status, 200)
        self.assertTrue(json.loads(body)["etcdserver"].startswith("3.4."), body)
        status, _ = self.etcd.request("GET", "/v2/keys/")
        self.assertEqual(status, 200)

    def test_v2_put_with_ttl_is_visible_then_expires(self):
        key = "/wso2/revoked/jti-v2-ttl"
        answer = self.etcd.v2_put(key, "true", ttl=1)
        self.assertEqual(answer["node"]["ttl"], 1)
        node = self.etcd.v2_get(key)
        self.assertEqual(node["node"]["value"], "true")
        listing = self.etcd.v2_get("/wso2/revoked", recursive=True)
        self.assertIn(key, [n["key"] for n in listing["node"]["nodes"]])
        h.wait_until(lambda: self.etcd.v2_get(key) is None, timeout=5, what="v2 key expiry")

    def test_v2_delete(self):
        self.etcd.v2_put("/wso2/revoked/jti-del", "true", ttl=60)
        self.etcd.v2_delete("/wso2/revoked/jti-del")
        self.assertIsNone(self.etcd.v2_get("/wso2/revoked/jti-del"))

    def test_v3_put_visible_via_range_and_delete(self):
        self.etcd.v3_put("/mgw/revoked/a", "true")
        self.etcd.v3_put("/mgw/revoked/b", "true")
        self.etcd.v3_put("/mgw/revokedX", "no")
        self.assertEqual(self.etcd.v3_range("/mgw/revoked/", prefix=True),
                         {"/mgw/revoked/a": "true", "/mgw/revoked/b": "true"})
        self.etcd.v3_delete("/mgw/revoked/", prefix=True)
        self.assertEqual(self.etcd.v3_range("/mgw/revoked/", prefix=True), {})
        self.assertEqual(self.etcd.v3_range("/mgw/revokedX"), {"/mgw/revokedX": "no"})

    def test_v3_lease_expires_the_key(self):
        lease = self.etcd.v3_grant_lease(1)
        self.etcd.v3_put("/mgw/leased/x", "true", lease=lease)
        self.assertEqual(self.etcd.v3_range("/mgw/leased/x"), {"/mgw/leased/x": "true"})
        h.wait_until(lambda: not self.etcd.v3_range("/mgw/leased/x"), timeout=6,
                     what="v3 lease expiry")

    def test_v3_watch_sees_a_put(self):
        with self.etcd.v3_watch("/mgw/watched/", prefix=True) as watch:
            self.etcd.v3_put("/mgw/other", "ignored")
            self.etcd.v3_put("/mgw/watched/jti-1", "true")
            events = watch.next_events()
        self.assertEqual([(e.get("type", "PUT"), e["kv"]["key"], e["kv"]["value"])
                          for e in events], [("PUT", "/mgw/watched/jti-1", "true")])


class EtcdAuthTest(unittest.TestCase):
    def test_auth_refuses_anonymous_and_accepts_root(self):
        etcd = eh.Etcd().start()
        self.addCleanup(etcd.cleanup)
        etcd.v2_put("/wso2/revoked/j", "true")
        etcd.v3_put("/mgw/revoked/j", "true")
        etcd.enable_auth(password="s3cret-test")
        status, _ = etcd.request("GET", "/v2/keys/wso2/revoked/j", auth=False)
        self.assertEqual(status, 401)
        status, _ = etcd.request("POST", "/v3/kv/range", {"key": eh.b64("/mgw/revoked/j")},
                                 auth=False)
        self.assertNotEqual(status, 200)
        self.assertEqual(etcd.v2_get("/wso2/revoked/j")["node"]["value"], "true")
        self.assertEqual(etcd.v3_range("/mgw/revoked/j"), {"/mgw/revoked/j": "true"})
        raw = base64.b64encode(b"root:wrong").decode()
        status, _ = etcd.request("GET", "/v2/keys/wso2/revoked/j",
                                 headers={"Authorization": "Basic " + raw}, auth=False)
        self.assertEqual(status, 401)


if __name__ == "__main__":
    unittest.main()
