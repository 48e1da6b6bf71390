with transactions as (select * from {{ ref('int_transactions_usd') }} where transaction_status = 'posted'),
accounts as (select * from {{ ref('stg_accounts') }}),
merchants as (select * from {{ ref('stg_merchants') }})
select
    transactions.*,
    accounts.customer_id,
    accounts.account_type,
    merchants.merchant_name,
    merchants.mcc
from transactions
join accounts on accounts.account_id = transactions.account_id
left join merchants on merchants.merchant_id = transactions.merchant_id
