// The client's PriceUpdateV2 codec against the captured mainnet accounts
// and their documented contents (tests/fixtures/pyth/SOURCES.md).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  PRICE_UPDATE_V2_LEN,
  PYTH_RECEIVER_PROGRAM_ADDRESS,
  decodePriceUpdateV2,
  encodePriceUpdateV2,
  feedIdFromHex,
  feedIdToHex,
} from '../src';
import { CAPTURED, loadAccountJson } from './helpers/fixtures';

describe('captured PriceUpdateV2 accounts', () => {
  for (const doc of CAPTURED) {
    test(`${doc.file} decodes to the documented values`, () => {
      const acc = loadAccountJson(doc.file);
      assert.equal(acc.pubkey, doc.pubkey);
      assert.equal(acc.owner, PYTH_RECEIVER_PROGRAM_ADDRESS);
      assert.equal(acc.data.length, PRICE_UPDATE_V2_LEN);
      assert.equal(acc.space, PRICE_UPDATE_V2_LEN);
      const u = decodePriceUpdateV2(acc.data);
      assert.equal(u.writeAuthority, doc.writeAuthority);
      assert.deepEqual(u.verificationLevel, { __kind: 'Full' });
      const m = u.priceMessage;
      assert.equal(feedIdToHex(m.feedId), doc.feedIdHex);
      assert.equal(m.price, doc.price);
      assert.equal(m.conf, doc.conf);
      assert.equal(m.exponent, doc.exponent);
      assert.equal(m.publishTime, doc.publishTime);
      assert.equal(m.prevPublishTime, doc.prevPublishTime);
      assert.equal(m.emaPrice, doc.emaPrice);
      assert.equal(m.emaConf, doc.emaConf);
      assert.equal(u.postedSlot, doc.postedSlot);
    });

    test(`${doc.file} re-encodes byte for byte (Full: one tag byte, one byte of padding)`, () => {
      const acc = loadAccountJson(doc.file);
      assert.deepEqual(encodePriceUpdateV2(decodePriceUpdateV2(acc.data)), acc.data);
      assert.equal(acc.data[40], 1, 'verification tag Full at byte 40');
      assert.equal(acc.data[133], 0, 'trailing padding');
    });
  }

  test('a Partial update moves every later field one byte on', () => {
    const full = decodePriceUpdateV2(loadAccountJson(CAPTURED[2]!.file).data);
    const partial = {
      ...full,
      verificationLevel: { __kind: 'Partial' as const, numSignatures: 5 },
    };
    const bytes = encodePriceUpdateV2(partial);
    assert.equal(bytes.length, PRICE_UPDATE_V2_LEN);
    assert.deepEqual([bytes[40], bytes[41]], [0, 5]);
    assert.deepEqual(bytes.slice(42, 74), feedIdFromHex(CAPTURED[2]!.feedIdHex));
    assert.deepEqual(decodePriceUpdateV2(bytes), partial);
  });

  test('a wrong discriminator is refused', () => {
    const data = loadAccountJson(CAPTURED[0]!.file).data;
    data[0] = data[0]! ^ 0xff;
    assert.throws(() => decodePriceUpdateV2(data), /discriminator/);
  });
});
