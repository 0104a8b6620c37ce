/**
 * The part of etcd v3.4 gRPC API tugboat uses (etcdserverpb from rpc.proto, mvccpb from kv.proto), as a
 * protobufjs JSON descriptor. Compiled in so the single-file host bundle reads no .proto at run time;
 * generated once from etcd's protos with protobufjs (Root.loadSync(...).toJSON(), comments dropped).
 */
export const etcdDescriptor = {
  nested: {
    etcdserverpb: {
      nested: {
        ResponseHeader: {
          fields: {
            cluster_id: { type: 'uint64', id: 1 },
            member_id: { type: 'uint64', id: 2 },
            revision: { type: 'int64', id: 3 },
            raft_term: { type: 'uint64', id: 4 },
          },
        },
        RangeRequest: {
          fields: {
            key: { type: 'bytes', id: 1 },
            range_end: { type: 'bytes', id: 2 },
            limit: { type: 'int64', id: 3 },
            revision: { type: 'int64', id: 4 },
            sort_order: { type: 'SortOrder', id: 5 },
            sort_target: { type: 'SortTarget', id: 6 },
            serializable: { type: 'bool', id: 7 },
            keys_only: { type: 'bool', id: 8 },
            count_only: { type: 'bool', id: 9 },
            min_mod_revision: { type: 'int64', id: 10 },
            max_mod_revision: { type: 'int64', id: 11 },
            min_create_revision: { type: 'int64', id: 12 },
            max_create_revision: { type: 'int64', id: 13 },
          },
          nested: {
            SortOrder: { values: { None: 0, Ascend: 1, Descend: 2 } },
            SortTarget: { values: { Key: 0, Version: 1, Create: 2, Mod: 3, Value: 4 } },
          },
        },
        RangeResponse: {
          fields: {
            header: { type: 'ResponseHeader', id: 1 },
            kvs: { rule: 'repeated', type: 'mvccpb.KeyValue', id: 2 },
            more: { type: 'bool', id: 3 },
            count: { type: 'int64', id: 4 },
          },
        },
        PutRequest: {
          fields: {
            key: { type: 'bytes', id: 1 },
            value: { type: 'bytes', id: 2 },
            lease: { type: 'int64', id: 3 },
            prev_kv: { type: 'bool', id: 4 },
            ignore_value: { type: 'bool', id: 5 },
            ignore_lease: { type: 'bool', id: 6 },
          },
        },
        PutResponse: {
          fields: { header: { type: 'ResponseHeader', id: 1 }, prev_kv: { type: 'mvccpb.KeyValue', id: 2 } },
        },
        DeleteRangeRequest: {
          fields: {
            key: { type: 'bytes', id: 1 },
            range_end: { type: 'bytes', id: 2 },
            prev_kv: { type: 'bool', id: 3 },
          },
        },
        DeleteRangeResponse: {
          fields: {
            header: { type: 'ResponseHeader', id: 1 },
            deleted: { type: 'int64', id: 2 },
            prev_kvs: { rule: 'repeated', type: 'mvccpb.KeyValue', id: 3 },
          },
        },
        RequestOp: {
          oneofs: {
            request: { oneof: ['request_range', 'request_put', 'request_delete_range', 'request_txn'] },
          },
          fields: {
            request_range: { type: 'RangeRequest', id: 1 },
            request_put: { type: 'PutRequest', id: 2 },
            request_delete_range: { type: 'DeleteRangeRequest', id: 3 },
            request_txn: { type: 'TxnRequest', id: 4 },
          },
        },
        ResponseOp: {
          oneofs: {
            response: { oneof: ['response_range', 'response_put', 'response_delete_range', 'response_txn'] },
          },
          fields: {
            response_range: { type: 'RangeResponse', id: 1 },
            response_put: { type: 'PutResponse', id: 2 },
            response_delete_range: { type: 'DeleteRangeResponse', id: 3 },
            response_txn: { type: 'TxnResponse', id: 4 },
          },
        },
        Compare: {
          oneofs: {
            target_union: { oneof: ['version', 'create_revision', 'mod_revision', 'value', 'lease'] },
          },
          fields: {
            result: { type: 'CompareResult', id: 1 },
            target: { type: 'CompareTarget', id: 2 },
            key: { type: 'bytes', id: 3 },
            version: { type: 'int64', id: 4 },
            create_revision: { type: 'int64', id: 5 },
            mod_revision: { type: 'int64', id: 6 },
            value: { type: 'bytes', id: 7 },
            lease: { type: 'int64', id: 8 },
            range_end: { type: 'bytes', id: 64 },
          },
          nested: {
            CompareResult: { values: { Equal: 0, Greater: 1, Less: 2, NotEqual: 3 } },
            CompareTarget: { values: { Version: 0, Create: 1, Mod: 2, Value: 3, Lease: 4 } },
          },
        },
        TxnRequest: {
          fields: {
            compare: { rule: 'repeated', type: 'Compare', id: 1 },
            success: { rule: 'repeated', type: 'RequestOp', id: 2 },
            failure: { rule: 'repeated', type: 'RequestOp', id: 3 },
          },
        },
        TxnResponse: {
          fields: {
            header: { type: 'ResponseHeader', id: 1 },
            succeeded: { type: 'bool', id: 2 },
            responses: { rule: 'repeated', type: 'ResponseOp', id: 3 },
          },
        },
        CompactionRequest: {
          fields: { revision: { type: 'int64', id: 1 }, physical: { type: 'bool', id: 2 } },
        },
        CompactionResponse: { fields: { header: { type: 'ResponseHeader', id: 1 } } },
        WatchRequest: {
          oneofs: { request_union: { oneof: ['create_request', 'cancel_request', 'progress_request'] } },
          fields: {
            create_request: { type: 'WatchCreateRequest', id: 1 },
            cancel_request: { type: 'WatchCancelRequest', id: 2 },
            progress_request: { type: 'WatchProgressRequest', id: 3 },
          },
        },
        WatchCreateRequest: {
          fields: {
            key: { type: 'bytes', id: 1 },
            range_end: { type: 'bytes', id: 2 },
            start_revision: { type: 'int64', id: 3 },
            progress_notify: { type: 'bool', id: 4 },
            filters: { rule: 'repeated', type: 'FilterType', id: 5 },
            prev_kv: { type: 'bool', id: 6 },
            watch_id: { type: 'int64', id: 7 },
            fragment: { type: 'bool', id: 8 },
          },
          nested: { FilterType: { values: { Noput: 0, Nodelete: 1 } } },
        },
        WatchCancelRequest: { fields: { watch_id: { type: 'int64', id: 1 } } },
        WatchProgressRequest: { fields: {} },
        WatchResponse: {
          fields: {
            header: { type: 'ResponseHeader', id: 1 },
            watch_id: { type: 'int64', id: 2 },
            created: { type: 'bool', id: 3 },
            canceled: { type: 'bool', id: 4 },
            compact_revision: { type: 'int64', id: 5 },
            cancel_reason: { type: 'string', id: 6 },
            fragment: { type: 'bool', id: 7 },
            events: { rule: 'repeated', type: 'mvccpb.Event', id: 11 },
          },
        },
        Member: {
          fields: {
            ID: { type: 'uint64', id: 1 },
            name: { type: 'string', id: 2 },
            peerURLs: { rule: 'repeated', type: 'string', id: 3 },
            clientURLs: { rule: 'repeated', type: 'string', id: 4 },
            isLearner: { type: 'bool', id: 5 },
          },
        },
        MemberAddRequest: {
          fields: {
            peerURLs: { rule: 'repeated', type: 'string', id: 1 },
            isLearner: { type: 'bool', id: 2 },
          },
        },
        MemberAddResponse: {
          fields: {
            header: { type: 'ResponseHeader', id: 1 },
            member: { type: 'Member', id: 2 },
            members: { rule: 'repeated', type: 'Member', id: 3 },
          },
        },
        MemberRemoveRequest: { fields: { ID: { type: 'uint64', id: 1 } } },
        MemberRemoveResponse: {
          fields: {
            header: { type: 'ResponseHeader', id: 1 },
            members: { rule: 'repeated', type: 'Member', id: 2 },
          },
        },
        MemberListRequest: { fields: { linearizable: { type: 'bool', id: 1 } } },
        MemberListResponse: {
          fields: {
            header: { type: 'ResponseHeader', id: 1 },
            members: { rule: 'repeated', type: 'Member', id: 2 },
          },
        },
        StatusRequest: { fields: {} },
        StatusResponse: {
          fields: {
            header: { type: 'ResponseHeader', id: 1 },
            version: { type: 'string', id: 2 },
            dbSize: { type: 'int64', id: 3 },
            leader: { type: 'uint64', id: 4 },
            raftIndex: { type: 'uint64', id: 5 },
            raftTerm: { type: 'uint64', id: 6 },
            raftAppliedIndex: { type: 'uint64', id: 7 },
            errors: { rule: 'repeated', type: 'string', id: 8 },
            dbSizeInUse: { type: 'int64', id: 9 },
            isLearner: { type: 'bool', id: 10 },
          },
        },
        KV: {
          methods: {
            Range: { requestType: 'RangeRequest', responseType: 'RangeResponse' },
            Txn: { requestType: 'TxnRequest', responseType: 'TxnResponse' },
            Compact: { requestType: 'CompactionRequest', responseType: 'CompactionResponse' },
          },
        },
        Watch: {
          methods: {
            Watch: {
              requestType: 'WatchRequest',
              requestStream: true,
              responseType: 'WatchResponse',
              responseStream: true,
            },
          },
        },
        Cluster: {
          methods: {
            MemberAdd: { requestType: 'MemberAddRequest', responseType: 'MemberAddResponse' },
            MemberRemove: { requestType: 'MemberRemoveRequest', responseType: 'MemberRemoveResponse' },
            MemberList: { requestType: 'MemberListRequest', responseType: 'MemberListResponse' },
          },
        },
        Maintenance: {
          methods: { Status: { requestType: 'StatusRequest', responseType: 'StatusResponse' } },
        },
      },
    },
    mvccpb: {
      nested: {
        KeyValue: {
          fields: {
            key: { type: 'bytes', id: 1 },
            create_revision: { type: 'int64', id: 2 },
            mod_revision: { type: 'int64', id: 3 },
            version: { type: 'int64', id: 4 },
            value: { type: 'bytes', id: 5 },
            lease: { type: 'int64', id: 6 },
          },
        },
        Event: {
          fields: {
            type: { type: 'EventType', id: 1 },
            kv: { type: 'KeyValue', id: 2 },
            prev_kv: { type: 'KeyValue', id: 3 },
          },
          nested: { EventType: { values: { Put: 0, Delete: 1 } } },
        },
      },
    },
  },
} as const;
