package dev.loopline.common.auth;

import com.sun.net.httpserver.HttpServer;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.http.RequestContext;
import dev.loopline.common.json.Json;
import dev.loopline.common.server.ServiceModule;
import dev.loopline.common.testing.TestServer;
import io.helidon.webserver.http.HttpRouting;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** JWTs signed with real RS256/ES256 keys, verified against a JWKS served over HTTP. */
class JwtAuthTest {
    static HttpServer jwks;
    static TestServer server;
    static KeyPair rsa;
    static KeyPair ec;
    static KeyPair stranger;

    @BeforeAll
    static void start() throws Exception {
        KeyPairGenerator rg = KeyPairGenerator.getInstance("RSA");
        rg.initialize(2048);
        rsa = rg.generateKeyPair();
        stranger = rg.generateKeyPair();
        KeyPairGenerator eg = KeyPairGenerator.getInstance("EC");
        eg.initialize(new ECGenParameterSpec("secp256r1"));
        ec = eg.generateKeyPair();
        RSAPublicKey rp = (RSAPublicKey) rsa.getPublic();
        ECPublicKey ep = (ECPublicKey) ec.getPublic();
        String body = "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"rsa1\",\"alg\":\"RS256\",\"use\":\"sig\",\"n\":\"" + b64(unsigned(rp.getModulus()))
                + "\",\"e\":\"" + b64(unsigned(rp.getPublicExponent())) + "\"},"
                + "{\"kty\":\"EC\",\"kid\":\"ec1\",\"alg\":\"ES256\",\"use\":\"sig\",\"crv\":\"P-256\",\"x\":\""
                + b64(fixed(ep.getW().getAffineX(), 32)) + "\",\"y\":\"" + b64(fixed(ep.getW().getAffineY(), 32)) + "\"}]}";
        jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        jwks.createContext("/jwks", ex -> {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        jwks.start();
        server = TestServer.start(Map.of(
                "LOOPLINE_JWT_JWKS_URL", "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks",
                "LOOPLINE_JWT_ISSUER", "https://idp.test",
                "LOOPLINE_JWT_AUDIENCE", "loopline", "LOOPLINE_JWT_ADMIN_CLAIM", "roles", "LOOPLINE_JWT_ADMIN_VALUE", "loopline-admin"),
                p -> List.of(new WhoAmI()));
    }

    @AfterAll
    static void stop() {
        server.close();
        jwks.stop(0);
    }

    static final class WhoAmI implements ServiceModule {
        @Override
        public String name() {
            return "whoami";
        }

        @Override
        public void routing(HttpRouting.Builder routing) {
            routing.get("/v1/whoami", (req, res) -> {
                Principal p = RequestContext.principal();
                JsonBodies.send(res, Json.object().put("tenant", p.tenantId()).put("user", p.userId()).put("method", p.method()));
            });
        }
    }

    static HttpResponse<String> whoami(String token) {
        return server.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/whoami"))
                .header("Authorization", "Bearer " + token).GET().build());
    }

    static String claims(String iss, String aud, long expOffset, String tenant) {
        long now = Instant.now().getEpochSecond();
        return "{\"sub\":\"alice\",\"iss\":\"" + iss + "\",\"aud\":\"" + aud + "\",\"iat\":" + now + ",\"exp\":" + (now + expOffset)
                + (tenant == null ? "" : ",\"tenant_id\":\"" + tenant + "\"") + "}";
    }

    static String sign(String alg, String kid, String payload, PrivateKey key) throws Exception {
        String head = b64(("{\"alg\":\"" + alg + "\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}").getBytes(StandardCharsets.UTF_8));
        String input = head + "." + b64(payload.getBytes(StandardCharsets.UTF_8));
        Signature s = Signature.getInstance(alg.equals("RS256") ? "SHA256withRSA" : "SHA256withECDSAinP1363Format");
        s.initSign(key);
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + b64(s.sign());
    }

    @Test
    void theAdminClaimMakesAnAdminsTokenAndNothingElseDoes() throws Exception {
        long now = Instant.now().getEpochSecond();
        String base = "{\"sub\":\"alice\",\"iss\":\"https://idp.test\",\"aud\":\"loopline\",\"iat\":" + now + ",\"exp\":" + (now + 300)
                + ",\"tenant_id\":\"acme\"";
        assertEquals("jwt_admin", Json.parse(whoami(sign("RS256", "rsa1", base + ",\"roles\":[\"reader\",\"loopline-admin\"]}",
                rsa.getPrivate())).body()).path("method").asText());
        assertEquals("jwt_admin", Json.parse(whoami(sign("RS256", "rsa1", base + ",\"roles\":\"loopline-admin\"}",
                rsa.getPrivate())).body()).path("method").asText());
        for (String other : List.of(",\"roles\":[\"reader\"]}", ",\"roles\":\"admin\"}", ",\"role\":\"loopline-admin\"}", "}")) {
            assertEquals("jwt", Json.parse(whoami(sign("RS256", "rsa1", base + other, rsa.getPrivate())).body()).path("method").asText(), other);
        }
    }

    @Test
    void validRs256AndEs256TokensGiveTheirPrincipal() throws Exception {
        var r = whoami(sign("RS256", "rsa1", claims("https://idp.test", "loopline", 300, "acme"), rsa.getPrivate()));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("{\"tenant\":\"acme\",\"user\":\"alice\",\"method\":\"jwt\"}", r.body());
        var e = whoami(sign("ES256", "ec1", claims("https://idp.test", "loopline", 300, "acme"), ec.getPrivate()));
        assertEquals(200, e.statusCode(), e.body());
    }

    @Test
    void invalidTokensAre401() throws Exception {
        TestServer.error(whoami(sign("RS256", "rsa1", claims("https://idp.test", "loopline", -120, "acme"), rsa.getPrivate())), 401);
        TestServer.error(whoami(sign("RS256", "rsa1", claims("https://evil.test", "loopline", 300, "acme"), rsa.getPrivate())), 401);
        TestServer.error(whoami(sign("RS256", "rsa1", claims("https://idp.test", "someone-else", 300, "acme"), rsa.getPrivate())), 401);
        TestServer.error(whoami(sign("RS256", "rsa1", claims("https://idp.test", "loopline", 300, null), rsa.getPrivate())), 401);
        TestServer.error(whoami(sign("RS256", "rsa1", claims("https://idp.test", "loopline", 300, "acme"), stranger.getPrivate())), 401);
        String unsigned = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64(claims("https://idp.test", "loopline", 300, "acme").getBytes(StandardCharsets.UTF_8)) + ".";
        TestServer.error(whoami(unsigned), 401);
        TestServer.error(whoami("eyJnot.a.jwt"), 401);
    }

    @Test
    void apiKeysStillWork() {
        assertEquals(200, server.get("/v1/whoami").statusCode());
    }

    static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static byte[] unsigned(BigInteger v) {
        byte[] b = v.toByteArray();
        return b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
    }

    static byte[] fixed(BigInteger v, int len) {
        byte[] b = unsigned(v);
        byte[] out = new byte[len];
        System.arraycopy(b, 0, out, len - b.length, b.length);
        return out;
    }
}
