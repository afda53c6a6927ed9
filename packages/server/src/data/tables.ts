/** Row types of the data capability's metadata tables (migration 0006_data_tables). */
export interface DataTablesTable {
  id: string;
  name: string;
  display_name: string | null;
  description: string | null;
  schema_json: string;
  columns_json: string;
  indexes_json: string;
  permissions_json: string | null;
  expression_permissions_json: string | null;
  column_permissions_json: string | null;
  row_filters_json: string | null;
  schema_version: number;
  index_version: number;
  created_at: number;
  updated_at: number;
}

export interface DataSchemaVersionsTable {
  table_id: string;
  version: number;
  schema_json: string;
  created_by: string;
  created_at: number;
}

export interface DataIndexVersionsTable {
  table_id: string;
  version: number;
  indexes_json: string;
  created_by: string;
  created_at: number;
}

export interface DataTables {
  data_tables: DataTablesTable;
  data_schema_versions: DataSchemaVersionsTable;
  data_index_versions: DataIndexVersionsTable;
}
