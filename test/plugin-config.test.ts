// The plugin location's `configuration` string (shared/argo/plugin-config.ts): what it accepts and how
// each mistake is named.
import { describe, expect, it } from 'vitest';
import { parsePluginConfiguration, PluginConfigurationError } from '../shared/argo';

const base = 'coordinator: https://coord.example.com/fc/\nbucket: my-artifacts\nendpoint: oss-cn-hangzhou.aliyuncs.com\n';

function fieldOf(text: string): string {
  try {
    parsePluginConfiguration(text);
  } catch (err) {
    expect(err).toBeInstanceOf(PluginConfigurationError);
    return (err as PluginConfigurationError).field;
  }
  throw new Error('accepted');
}

describe('parsePluginConfiguration', () => {
  it('reads YAML (and JSON) with the optional tuning', () => {
    expect(parsePluginConfiguration(`${base}partSize: 64MiB\nconcurrency: 16\n`)).toEqual({
      coordinator: 'https://coord.example.com/fc',
      bucket: 'my-artifacts',
      endpoint: 'oss-cn-hangzhou.aliyuncs.com',
      partSize: 64 * 1024 * 1024,
      concurrency: 16,
    });
    expect(parsePluginConfiguration('{"coordinator":"http://127.0.0.1:9000","bucket":"b-1","endpoint":"http://localhost:9100","partSize":102400}')).toEqual({
      coordinator: 'http://127.0.0.1:9000',
      bucket: 'b-1',
      endpoint: 'http://localhost:9100',
      partSize: 102400,
    });
  });

  it('names the field of each mistake', () => {
    expect(fieldOf('')).toBe('configuration');
    expect(fieldOf('- a list')).toBe('configuration');
    expect(fieldOf('coordinator: [')).toBe('configuration');
    expect(fieldOf(base.replace(/bucket.*\n/, ''))).toBe('bucket');
    expect(fieldOf(base.replace('my-artifacts', 'My_Bucket'))).toBe('bucket');
    expect(fieldOf(base.replace(/coordinator.*\n/, ''))).toBe('coordinator');
    expect(fieldOf(base.replace('https://coord.example.com/fc/', 'ftp://x'))).toBe('coordinator');
    expect(fieldOf(base.replace('https://coord.example.com/fc/', 'https://user:pw@coord.example.com'))).toBe('coordinator');
    expect(fieldOf(base.replace('oss-cn-hangzhou.aliyuncs.com', 'oss-cn-hangzhou.aliyuncs.com/path'))).toBe('endpoint');
    expect(fieldOf(`${base}partSize: 99KB\n`)).toBe('partSize');
    expect(fieldOf(`${base}partSize: lots\n`)).toBe('partSize');
    expect(fieldOf(`${base}concurrency: 0\n`)).toBe('concurrency');
    expect(fieldOf(`${base}concurrency: 1.5\n`)).toBe('concurrency');
    expect(fieldOf(`${base}accessKeySecret: {name: s, key: k}\n`)).toBe('accessKeySecret');
    expect(fieldOf(`${base}bucket: other\n`)).toBe('configuration'); // a duplicate key
  });
});
