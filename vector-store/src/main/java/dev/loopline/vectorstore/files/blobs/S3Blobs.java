package dev.loopline.vectorstore.files.blobs;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Blobs in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, R2…), key {@code <prefix><id>},
 * through the AWS SDK v2 over the JDK's HTTP client. Files up to {@code partBytes} go up in one PUT;
 * larger ones as a multipart upload of {@code partBytes} parts (aborted on failure, so no parts are
 * left behind to bill). The SDK retries throttling and transient errors (its standard mode:
 * exponential backoff with jitter). {@code endpoint} and path-style addressing are for stores other
 * than AWS; credentials are the configured pair, or the SDK's default chain (environment,
 * profile, container or instance role).
 */
public final class S3Blobs implements BlobStore {
    /** S3's smallest part (but the last) and a sensible default size. */
    public static final long MIN_PART = 5L * 1024 * 1024;
    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final long partBytes;

    /** What it takes to reach the store. */
    public record Settings(String bucket, String prefix, String region, String endpoint, boolean pathStyle, String accessKey,
                           String secretKey, long partBytes) {
    }

    public S3Blobs(Settings s) {
        if (s.partBytes() < MIN_PART) {
            throw new IllegalStateException("LOOPLINE_S3_PART_BYTES must be at least " + MIN_PART + " (S3's smallest part)");
        }
        AwsCredentialsProvider credentials = s.accessKey() != null && s.secretKey() != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(s.accessKey(), s.secretKey()))
                : DefaultCredentialsProvider.builder().build();
        var b = S3Client.builder().region(Region.of(s.region())).credentialsProvider(credentials)
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10)).socketTimeout(Duration.ofSeconds(60)).build())
                .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD))
                // CRC checksums only where S3 requires them: many S3-compatible stores refuse the SDK's newer
                // default (trailing checksums on every upload); integrity is SigV4's payload hash either way.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .forcePathStyle(s.pathStyle());
        if (s.endpoint() != null && !s.endpoint().isBlank()) {
            b.endpointOverride(URI.create(s.endpoint()));
        }
        this.s3 = b.build();
        this.bucket = s.bucket();
        this.prefix = s.prefix() == null ? "" : s.prefix();
        this.partBytes = s.partBytes();
    }

    @Override
    public String name() {
        return "s3";
    }

    private String key(String id) {
        return prefix + BlobStore.checked(id);
    }

    @Override
    public void put(String id, Path source) throws IOException {
        String key = key(id);
        long size = Files.size(source);
        try {
            if (size <= partBytes) {
                s3.putObject(r -> r.bucket(bucket).key(key).contentLength(size), RequestBody.fromFile(source));
                return;
            }
            String upload = s3.createMultipartUpload(r -> r.bucket(bucket).key(key)).uploadId();
            try (InputStream in = Files.newInputStream(source)) {
                List<CompletedPart> parts = new ArrayList<>();
                for (int n = 1; ; n++) {
                    byte[] part = in.readNBytes((int) partBytes);
                    if (part.length == 0) {
                        break;
                    }
                    int number = n;
                    String etag = s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(upload).partNumber(number).contentLength((long) part.length),
                            RequestBody.fromBytes(part)).eTag();
                    parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                }
                s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(upload).multipartUpload(m -> m.parts(parts)));
            } catch (IOException | RuntimeException e) {
                try {
                    s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(upload));
                } catch (RuntimeException ignored) {
                    // the bucket's lifecycle rule for incomplete uploads is the fallback
                }
                throw e;
            }
        } catch (S3Exception e) {
            throw new IOException("S3 refused file " + id + " (HTTP " + e.statusCode() + "): " + e.awsErrorDetails().errorMessage(), e);
        } catch (RuntimeException e) {
            throw new IOException("cannot store file " + id + " in S3: " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream open(String id) throws IOException {
        String key = key(id);
        try {
            return s3.getObject(r -> r.bucket(bucket).key(key));
        } catch (NoSuchKeyException e) {
            throw new NoSuchFileException(id);
        } catch (RuntimeException e) {
            throw new IOException("cannot read file " + id + " from S3: " + e.getMessage(), e);
        }
    }

    @Override
    public void delete(String id) throws IOException {
        String key = key(id);
        try {
            s3.deleteObject(r -> r.bucket(bucket).key(key));
        } catch (RuntimeException e) {
            throw new IOException("cannot delete file " + id + " from S3: " + e.getMessage(), e);
        }
    }
}
