import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost, parseListenAddress, urlHost } from './listen-address.js';

test('--http forms', () => {
  assert.deepEqual(parseListenAddress('8080'), { host: null, port: 8080 });
  assert.deepEqual(parseListenAddress('0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
  assert.deepEqual(parseListenAddress('[::1]:9000'), { host: '::1', port: 9000 });
  assert.deepEqual(parseListenAddress('localhost:1'), { host: 'localhost', port: 1 });
  for (const bad of ['', ':80', 'a:b', '70000', '::1:80', 'http://x:80']) {
    assert.throws(() => parseListenAddress(bad), /--http/, bad);
  }
});

test('only loopback addresses count as loopback', () => {
  for (const host of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST']) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (const host of ['0.0.0.0', '::', '10.0.0.1', 'myhost', '127.0.0.1.nip.io', '::ffff:127.0.0.1']) {
    assert.equal(isLoopbackHost(host), false, host);
  }
  assert.equal(urlHost('::1'), '[::1]');
  assert.equal(urlHost('Example.COM'), 'example.com');
});
