/** The SNS certificate host rule: which URLs Vox may ever fetch a signing certificate from. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SnsVerifier, snsUrl } from './sns.ts';

describe('snsUrl', () => {
  test('accepts https on sns.<region>.amazonaws.com (and .com.cn), port 443 only', () => {
    for (const url of [
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem',
      'https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-abc.pem',
      'https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem',
      'https://sns.ap-southeast-3.amazonaws.com/SimpleNotificationService-abc.pem',
      'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem',
      'https://sns.us-east-1.amazonaws.com:443/SimpleNotificationService-abc.pem',
    ]) {
      assert.ok(snsUrl(url, true), url);
    }
  });

  test('refuses any other scheme, host, port, credentials or file', () => {
    for (const url of [
      'http://sns.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com.attacker.example/x.pem',
      'https://attacker.example/sns.us-east-1.amazonaws.com/x.pem',
      'https://sns.amazonaws.com/x.pem',
      'https://sqs.us-east-1.amazonaws.com/x.pem',
      'https://evil.sns.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com:8443/x.pem',
      'https://user:pass@sns.us-east-1.amazonaws.com/x.pem',
      'https://127.0.0.1/x.pem',
      'https://sns.us-east-1.amazonaws.com/x.txt',
      'file:///etc/passwd',
      'not a url',
      undefined,
    ]) {
      assert.equal(snsUrl(url, true), undefined, String(url));
    }
  });

  test('the verifier never calls its fetch for a certificate off SNS', async () => {
    const asked: string[] = [];
    const verifier = new SnsVerifier(async (url) => {
      asked.push(url.toString());
      return new Response('nope', { status: 500 });
    });
    const message = { Type: 'Notification', MessageId: 'm', TopicArn: 't', Message: '{}', Timestamp: '2026-01-01T00:00:00Z', SignatureVersion: '2', Signature: 'AA==' };
    assert.equal(await verifier.verify({ ...message, SigningCertURL: 'https://attacker.example/cert.pem' }), false);
    assert.equal(await verifier.verify({ ...message, SigningCertURL: 'http://169.254.169.254/latest/meta-data/x.pem' }), false);
    assert.deepEqual(asked, []);
  });
});
